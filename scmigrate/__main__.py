"""``python -m scmigrate`` runs the command line."""

from scmigrate.cli import main

if __name__ == "__main__":
    main()
