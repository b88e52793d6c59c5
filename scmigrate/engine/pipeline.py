"""One project through the engine: source → selection → converter → sink, on a pool of threads.

The reader thread and the workers are :mod:`.workers`' (a bounded queue: back-pressure). Worker
threads resolve each item (lazy annotations), select and convert its scenes, and hand it to the
writer. Failures are collected per item and re-tried in whole passes (``--retries``, as rclone
does); bad input is never retried. Every landed item is journalled so ``--resume`` skips it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..api import ConversionLog, Converter, Reader, RunOptions, Writer
from ..errors import InputError
from ..model import Item, Project
from ..registry import get_registry
from .conversion import convert_item
from .journal import Journal, journal_path
from .locks import hold as hold_lock
from .outcome import FAILURE_LINES, close_report, fill_report, one_line, raise_if_incomplete, show, where_listed
from .plan import plan, survey
from .progress import Progress, make_progress
from .report import Failure, Report
from .selection import Selection
from .workers import SKIP, STOP, Pool

if TYPE_CHECKING:
    from .request import TransferRequest

__all__ = ["move_project"]

def move_project(request: TransferRequest) -> Report:
    """Move the one project ``request`` names from its source to its sink; return the report.

    Called through :func:`scmigrate.engine.transfer` (which checks the plugin options first).
    :raises InputError: bad input (exit 2); :raises TransferIncomplete: some items did not move.
    """
    source, sink, options = request.source, request.sink, request.options
    report_path = request.report_path
    reg = request.registry or get_registry()
    src = reg.resolve_source(source)
    snk = reg.resolve_sink(sink)
    prog = request.progress or make_progress(quiet=request.quiet)
    report = Report(source=source, sink=sink, dry_run=options.dry_run)
    if report_path:
        Report.check_writable(report_path)  # before the run, not after an hour of it
    started = time.monotonic()
    with src.open(source, options) as reader:
        project = reader.project()
        selection = Selection.build(project, options)
        selected = selection.project(project)
        converter = reg.converter(options.project_type) if options.project_type else None
        if converter is not None and converter.wants_survey:
            survey(converter, reader, selection, selected, remote=src.selects_project)
        target = converter.target_project(selected, options) if converter else selected
        name = options.to_project or (
            options.project if options.project and not src.selects_project else project.name
        )
        target = dataclasses.replace(target, name=name)
        report.project, report.target_project = project.name, target.name
        if options.dry_run:
            report.plan = plan(source, sink, src, snk, reader, project, selected, target, selection, converter, options)
            checks = snk.preflight(sink, target, options)  # what the real run would refuse, refused now
            report.plan[-1:-1] = [f"target: {line}" for line in checks]
            report.complete = True
            close_report(report, report_path, started, prog, failing=False)
            show(request, report, prog)
            return report
        # [issue 9: target lock] one run per target, whatever the flags; released on every exit
        with hold_lock(snk, sink, target.name, options), snk.open(sink, options) as writer:
            # without --workers, as many threads as the more parallel end can use (it admits fewer)
            threads = options.workers or max(src.auto_workers, snk.auto_workers)
            run = _Run(reader, writer, selection, converter, selected, target, options, report, prog,
                       has_report=bool(report_path), threads=threads)
            try:
                run.run(source, sink, request.retries, request.retries_sleep, request.with_models)
            except BaseException:
                close_report(report, report_path, started, prog, failing=True)
                raise
            close_report(report, report_path, started, prog, failing=False)
    if not run.nothing_to_resume:  # that one line is all such a run says
        show(request, report, prog)
    return report


class _Run:
    """The state of one transfer: threads, counters, failures."""

    def __init__(
        self, reader: Reader, writer: Writer, selection: Selection, converter: Converter | None,
        selected: Project, target: Project, options: RunOptions, report: Report, progress: Progress,
        has_report: bool = False, threads: int = 8,
    ) -> None:
        self.reader, self.writer = reader, writer
        self.selection, self.converter = selection, converter
        self.selected, self.target = selected, target
        self.options, self.report, self.progress = options, report, progress
        self.log = ConversionLog()
        #: scenes reach the writer as the source gave them: it may keep what it holds at their revision
        self.as_read = converter is None and selection.keeps_scenes
        self.pool = Pool(threads)
        self.lock = threading.Lock()
        self.failed: dict[str, tuple[Item, Failure]] = {}
        self.has_report = has_report  # whether "see the report" points at a file the user asked for
        self.failure_lines = 0  # "failed: ..." lines shown in this pass
        self.model_failures: list[Failure] = []
        self.accepted: set[str] = set()  # with --max-items: the keys admitted so far
        self.limit_hit = False
        self.done: set[str] = set()
        self.journal: Journal | None = None
        self.nothing_to_resume = False
        self.write_notes: Counter[str] = Counter()
        self.first_bad: Failure | None = None  # the first item of bad input, shown by the final error only

    @property
    def reader_error(self) -> BaseException | None:
        """Reading the source failed (the pass it happened in ended there)."""
        return self.pool.reader_error

    @property
    def fatal(self) -> BaseException | None:
        """An error outside any one item (the journal's disk is full): the run stops."""
        return self.pool.fatal

    # ------------------------------------------------------------------ the run

    def run(self, source: str, sink: str, retries: int, retries_sleep: float, with_models: bool) -> None:
        opts, report = self.options, self.report
        journal = self.journal = Journal(journal_path(sink, self.target.name))
        finished = journal.finished(source, self.target.name) if opts.resume else None
        sealed = self.writer.finished() if opts.resume and not finished else None
        if finished or sealed:  # [issue 9, 12] resuming what finished: nothing to do, said in one line
            why = sealed or f"the run from {source} to project {self.target.name!r} finished ({finished})"
            self.progress.log(f"nothing to resume: {why}", important=True)
            report.complete = self.nothing_to_resume = True
            self._fill_report()
            return
        prior = self._resume_state(journal, source) if opts.resume else None
        # [issue 9: journal intent] the intent is on disk before the target is touched, so a kill at
        # any instant leaves a journal --resume can finish; a refused begin wrote nothing to resume
        journal.open(fresh=not opts.resume)
        journal.intend(self.target.name, source, sink)
        try:
            state = self.writer.begin(self.target, prior) or {}
        except InputError:
            journal.retract()
            raise
        except BaseException:
            journal.close(remove=False)
            raise
        # [/issue 9]
        journal.begin(state, self.target.name, source)
        self.done = (journal.keys if opts.resume else set()) | set(self.writer.done_keys())
        hint = self.reader.size_hint()
        self.progress.start(hint.items if not opts.max_items else min(hint.items or opts.max_items, opts.max_items),
                            hint.bytes)
        try:
            self._pass(self.reader.items(), first=True)
            for n in range(1, max(retries, 0) + 1):
                pending = [it for it, f in self.failed.values() if not f.input_error]
                if not pending or self.pool.stop.is_set() or isinstance(self.reader_error, InputError):
                    break
                report.retry_passes = n
                self.progress.log(f"retry pass {n} of {retries}: {len(pending)} item(s) failed", important=True)
                if retries_sleep:
                    time.sleep(retries_sleep)
                self._pass(iter(pending), first=False)
                if self.fatal is not None:
                    break
            if with_models and not self.reader_error and self.fatal is None:
                self._models()
            if self.fatal is not None:
                raise self.fatal
        except KeyboardInterrupt:
            self.pool.stop_threads()
            report.interrupted = True
            self.writer.abort()
            journal.close(remove=False)
            self._fill_report()
            self.progress.close(render=False)  # the command line says "interrupted" once, for the whole run
            raise
        except BaseException:
            self.pool.stop_threads()
            self.writer.abort()
            journal.close(remove=False)
            self._fill_report()
            self.progress.close()  # end the bar's line, so the error shows on a line of its own
            raise
        complete = not self.failed and not self.model_failures and self.reader_error is None
        report.complete = complete
        report.sink_facts = self.writer.finish(complete) or {}
        if complete:
            journal.mark_finished(source, self.target.name)
        if self.write_notes:  # what the sink said of single items: among its facts, shown with the losses
            report.sink_facts["write_notes"] = dict(self.write_notes)
        journal.close(remove=complete)
        self._fill_report()
        # a run that ends on bad input ends on that one line: no last progress line before it
        self.progress.close(render=self.first_bad is None and not isinstance(self.reader_error, InputError))
        self._raise_if_incomplete()

    def _resume_state(self, journal: Journal, source: str) -> dict[str, Any] | None:
        """What the interrupted run left: its writer state (returned) and its id map (into the report).

        A journal resumes only the run that wrote it: items of another source may share keys
        with this one's, and skipping them would silently leave holes in the target.
        """
        if not journal.load():
            self.progress.log(f"resume: no journal at {journal.path}; items the target already holds are skipped")
            return None
        if (journal.source, journal.project) != (source, self.target.name):
            raise InputError(
                f"{journal.path}: this journal is of a run from {journal.source!r} to project {journal.project!r}, "
                f"not from {source!r} to {self.target.name!r}; resume that run, or remove the journal to start over"
            )
        for src_id, ids in journal.ids.items():  # the report maps every source id, moved now or before
            self.report.add_moved({}, 0, src_id, ids)
        return journal.resume_state()  # [issue 9] also "begun, not confirmed"

    def _fill_report(self) -> None:
        fill_report(self.report, [f for _, f in self.failed.values()], self.model_failures, self.reader_error,
                    self.log, list(self.reader.notes()))  # notes after reading: readers count what they dropped

    def _raise_if_incomplete(self) -> None:
        raise_if_incomplete(self.report, len(self.failed), len(self.model_failures), self.reader_error,
                            self.has_report, self.target.name, self.first_bad, self.progress)

    def _pass(self, items: Iterator[Item], first: bool) -> None:
        """One pass over ``items``; the failure lines it did not show are summed up in one line."""
        self.failure_lines = 0
        # a retry pass re-queues the failed items as they are: the first pass admitted them
        self.pool.run(items, self._admit_first if first else (lambda item: (item, None)), self._process)
        if self.failure_lines > FAILURE_LINES:
            where = where_listed(self.has_report, self.failure_lines, "the report lists them all")
            self.progress.log(f"failed: ... and {self.failure_lines - FAILURE_LINES} more item(s) ({where})",
                              important=True)

    def _admit_first(self, item: Item) -> Any:
        """The reader thread's part of a first pass: skip what the target holds, select eagerly, limit."""
        if self.limit_hit:
            return STOP
        key = item.key
        if key in self.done:
            self.report.skip("already in the target")
            self.progress.advance(1)
            return SKIP
        selected = None
        if self.selection.drops_items and item.load is None:
            # annotations are already here: select now, so --max-items is deterministic
            selected = self.selection.apply(item.resolve())
            if selected is None:
                self.report.skip("no selected label")
                self.progress.advance(1)
                return SKIP
        if selected is not None or not self.selection.drops_items:
            limit = self.options.max_items
            if limit is not None:  # without --max-items nothing asks which keys were admitted
                with self.lock:
                    if len(self.accepted) >= limit:
                        return STOP
                    self.accepted.add(key)
        return item, selected

    # ------------------------------------------------------------------ one item

    def _process(self, entry: tuple[Item, Item | None]) -> None:
        item, selected = entry
        snapshot = (item.load, item.scenes, item.ranges)
        try:
            if selected is None and self.as_read and self.writer.holds_annotations(item):
                selected = item  # stored at this revision: its annotations are not read again
            elif selected is None:
                selected = self.selection.apply(item.resolve())
                if selected is None:
                    self.report.skip("no selected label")
                    self.progress.advance(1)
                    return
                if not self._admit(item.key):
                    return
            out, ilog = self._convert(selected)
            result = self.writer.write(out)
        except Exception as exc:  # noqa: BLE001 - every failure is collected, shown and reported
            item.load, item.scenes, item.ranges = snapshot  # a retry starts from the original item
            self._fail(item, exc)
            return
        if ilog is not None:
            self.log.merge(ilog)
        with self.lock:
            self.failed.pop(item.key, None)
        media = out.media
        scenes = out.scenes or []
        counts = {
            "items": 1,
            "images" if media.kind == "image" else "videos": 1,
            "scenes": len(scenes),
            "frames": sum(s.frame is not None for s in scenes),
            "annotations": sum(len(s.annotations) for s in scenes),
            "ranges": len(out.ranges or []),
        }
        src_id = media.source_id or media.key
        assert self.journal is not None
        self.journal.item(item.key, src_id, result.ids)
        if result.skipped:  # the target already held it: nothing was sent
            self.report.skip("already in the target")
            self.report.add_moved({}, 0, src_id, result.ids)
            self.progress.advance(1)
            return
        if result.notes:
            with self.lock:
                self.write_notes.update(result.notes)
        nbytes = result.bytes or (media.size or 0)
        self.report.add_moved(counts, nbytes, src_id, result.ids)
        self.progress.advance(1, nbytes)

    def _admit(self, key: str) -> bool:
        """``--max-items`` for items selected in a worker (lazily loaded annotations)."""
        limit = self.options.max_items
        if limit is None:
            return True
        with self.lock:
            if key in self.accepted:
                return True
            if len(self.accepted) >= limit:
                self.limit_hit = True
                self.report.skip("beyond --max-items")
                return False
            self.accepted.add(key)
            return True

    def _convert(self, item: Item) -> tuple[Item, ConversionLog | None]:
        if self.converter is None:
            return item, None
        return convert_item(self.converter, item, self.selected, self.target, self.options.strict)

    def _fail(self, item: Item, exc: BaseException) -> None:
        failure = Failure(item.key, item.media.filename or item.media.name, one_line(exc),
                          isinstance(exc, InputError))
        with self.lock:
            self.failed[item.key] = (item, failure)
            if failure.input_error and self.first_bad is None:
                self.first_bad = failure  # never retried: the run's error line will name it
                return
            self.failure_lines += 1
            listed = self.failure_lines <= FAILURE_LINES
        if listed:
            self.progress.log(f"failed: {failure.name}: {failure.error}", important=True)

    def _models(self) -> None:
        for model in self.reader.models():
            try:
                result = self.writer.write_model(model)
            except Exception as exc:  # noqa: BLE001
                self.model_failures.append(Failure(f"model:{model.key}", model.key, one_line(exc)))
                self.progress.log(f"failed: model {model.key}: {one_line(exc)}", important=True)
                continue
            if result.skipped:
                self.report.skip("models not kept by the sink")
            else:
                self.report.add_moved({"models": 1}, result.bytes, f"model:{model.key}", result.ids)

