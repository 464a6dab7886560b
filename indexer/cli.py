"""The `splib` command line: parse options, call one `Library` method, print the result.

Results go to stdout, progress and messages to stderr, so `splib search --json ... | jq` works.
Library errors (`SplibError`) become one-line messages with exit status 1; bad options are
usage errors (exit 2). No traceback reaches a person unless they ask with -v.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

import click

from .errors import SplibError
from .orders import SORTS
from .wording import plural

if TYPE_CHECKING:  # the commands import what they use: `splib --help` loads no engine
    from .engine import Facets
    from .extract import Page
    from .ingest import EntryStatus, ProgressEvent
    from .keeping import AddReport
    from .library import BuildReport, Library
    from .results import Hit, SearchResults
    from .snippets import Snippet

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class SplibGroup(click.Group):
    """Turns library errors into one-line messages, and anything else into a short report."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SplibError as exc:
            raise click.ClickException(_as_typed(str(exc))) from None
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing half-done was kept.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # `splib status | head`: the reader has all it wanted; say nothing more.
            _quiet_stdout()
            ctx.exit(0)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:
            import logging

            if logging.getLogger().isEnabledFor(logging.DEBUG):
                raise
            raise click.ClickException(
                f"splib failed unexpectedly ({type(exc).__name__}: {exc}). This is a bug; run "
                "the command again with -v for details and report it."
            ) from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so flushing at exit does not fail on the closed pipe."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _configure_logging(verbose: bool) -> None:
    # A warning a person reads is its message; -v adds where it comes from.
    import logging

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s" if verbose else
                        "%(message)s", stream=sys.stderr, force=True)
    quiet_level = logging.NOTSET if verbose else logging.ERROR
    # urllib3 warns on every retry; the entry's recorded reason says what matters.
    logging.getLogger("urllib3").setLevel(quiet_level)
    logging.getLogger("trafilatura").setLevel(logging.NOTSET if verbose else logging.CRITICAL)


def _remember(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """-v and -q given after a command (`splib rebuild -v`) mean what they mean before it."""
    if value:
        ctx.meta[f"splib.{param.name}"] = True
        if param.name == "verbose":
            _configure_logging(True)


def _verbosity_options(f: Any) -> Any:
    f = click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_remember,
                     help="No progress display.")(f)
    return click.option("-v", "--verbose", is_flag=True, expose_value=False,
                        callback=_remember, help="Show what happens, on stderr.")(f)


@click.group(cls=SplibGroup, context_settings=CONTEXT)
@click.option("--catalog", type=click.Path(dir_okay=False), envvar="SPLIB_CATALOG",
              help="The catalog file (also SPLIB_CATALOG).  [default: corpus/catalog.toml; "
                   "catalog.toml in this folder when it exists and corpus/catalog.toml does "
                   "not, or when there is no corpus folder]")
@click.option("--data", type=click.Path(file_okay=False), envvar="SPLIB_DATA",
              help="The data folder: fetched files, text, index (also SPLIB_DATA).  "
                   "[default: .splib beside the catalog]")
@_verbosity_options
@click.version_option(package_name="splib")
@click.pass_context
def main(ctx: click.Context, catalog: str | None, data: str | None) -> None:
    """Full-text search over a library of reports.

    \b
    Example session:
      splib rebuild                      # fetch, extract and index corpus/catalog.toml
      splib search "T visa" certification
      splib status                       # which reports have full text, and why not
    """
    _configure_logging(bool(ctx.meta.get("splib.verbose")))
    if not _is_library(ctx.obj):  # tests may hand in a Library with their settings
        from .library import Library

        ctx.obj = Library(catalog=catalog, data=data)


def _json(data: object, **options: Any) -> str:
    import json

    return json.dumps(data, **options)


def _is_library(obj: object) -> TypeGuard[Library]:
    library = sys.modules.get(f"{__package__}.library")
    return library is not None and isinstance(obj, library.Library)


_F = TypeVar("_F", bound=Any)


def pass_library(f: _F) -> _F:
    """Hand the command the `Library` that `main` made (or a test gave)."""

    @click.pass_context
    def command(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(f, ctx.obj, *args, **kwargs)

    return functools.update_wrapper(command, f)  # type: ignore[return-value]


def _command(lib: Library, args: str) -> str:
    """A splib command as this person must type it: with --catalog unless it is the default
    or comes from SPLIB_CATALOG, and with --data unless the data folder is the catalog's own
    or comes from SPLIB_DATA."""
    import os
    import shlex

    from .library import DEFAULT_CATALOG, default_data

    options = ""
    catalog = str(lib.catalog_path)
    # (catalog.toml in the working folder, the default where there is no corpus/catalog.toml,
    # is named too: the command then works wherever it is typed from that folder.)
    if catalog not in (str(DEFAULT_CATALOG), os.environ.get("SPLIB_CATALOG", "")):
        options += f" --catalog {shlex.quote(catalog)}"
    data, named = lib.store.root, os.environ.get("SPLIB_DATA")
    if data != default_data(lib.catalog_path) and not (named and data == Path(named)):
        options += f" --data {shlex.quote(str(data))}"
    return f"splib{options} {args}"


class ProgressBar:
    """A `Progress` callback on stderr: a bar per stage on a terminal, a line per report
    otherwise (a log, a pipe, cron), nothing with -q."""

    def __init__(self, ctx: click.Context | None = None) -> None:
        ctx = ctx or click.get_current_context(silent=True)
        self.quiet = bool(ctx and ctx.meta.get("splib.quiet"))
        self.terminal = sys.stderr.isatty()
        self.bar: Any = None
        self.stage = ""
        # Pages read by OCR are reported from the extraction threads.
        import threading

        self.lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        if self.quiet:
            return
        with self.lock:
            self._show(event.stage, event.item, event.done, event.total)

    def _show(self, stage: str, item: str, done: int, total: int) -> None:
        if not self.terminal:
            if item:
                click.echo(f"{stage} {done}/{total}: {item}", err=True)
            return
        if stage != self.stage or self.bar is None:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=max(total, 1), label=stage, file=sys.stderr,
                                         show_pos=True, show_percent=False,
                                         item_show_func=lambda x: x)
            self.bar.__enter__()
        self.bar.update(max(0, done - self.bar.pos), current_item=item or None)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _jobs_option(f: Any) -> Any:
    return click.option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
                        help="Reports fetched and extracted at once.")(f)


@main.command()
@_verbosity_options
@click.argument("ids", nargs=-1)
@click.option("--refetch", is_flag=True, help="Ask every source again (conditional requests).")
@_jobs_option
@pass_library
def fetch(lib: Library, ids: tuple[str, ...], refetch: bool, jobs: int) -> None:
    """Fetch and extract reports that are missing or changed (all, or the IDS given).

    \b
    Examples:
      splib fetch
      splib fetch wi-doj-baseline-2013 --refetch
    """
    bar = ProgressBar()
    try:
        statuses = lib.fetch(ids, refetch=refetch, jobs=jobs, progress=bar)
    finally:
        bar.close()
    _print_status_table(statuses)


@main.command()
@_verbosity_options
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--password", default="", help="Password of an encrypted PDF.")
@click.option("--language", "languages", multiple=True, default=("eng",), show_default=True,
              callback=lambda ctx, param, value: _language_codes(value),
              help="Tesseract language of scanned pages (repeat for several: "
                   "--language eng --language spa).")
@click.option("--no-ocr", is_flag=True, help="Do not read pages without text by OCR.")
@pass_library
def extract(lib: Library, file: str, as_json: bool, password: str, languages: tuple[str, ...],
            no_ocr: bool) -> None:
    """Print the text of a local PDF, HTML, text or image FILE as the ingester sees it.
    Pages without text (scans) and image files are read by OCR (Tesseract).

    \b
    Examples:
      splib extract report.pdf
      splib extract scanned-letter.pdf --language spa
      splib extract report.pdf --json | jq '.pages[3].text'
    """
    bar = ProgressBar()
    try:
        doc = lib.extract(file, password=password, languages=languages, ocr=not no_ocr,
                          progress=lambda done, total: bar(_event(
                              "Reading by OCR", done, total,
                              f"{Path(file).name}, scanned page {done} of {total}")))
    finally:
        bar.close()
    if as_json:
        data = doc.to_json()
        click.echo(_json({k: data[k] for k in ("media_type", "title", "pages", "warnings")},
                              ensure_ascii=False, indent=1))
        return
    if doc.title:
        click.echo(f"Title: {doc.title}")
    for page in doc.pages:
        click.echo(page_heading(page))
        click.echo(page.text)
    for warning in doc.warnings:
        click.echo(f"warning: {warning}", err=True)


def _language_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    from .catalog import is_language

    for value in values:
        if not is_language(value):
            raise click.BadParameter(
                f"{value!r} is not a Tesseract language code: write one like eng, spa or "
                "chi_sim (`tesseract --list-langs` lists those installed).")
    return tuple(dict.fromkeys(v.lower() for v in values))


def page_heading(page: Page) -> str:
    """"--- page 3 (printed iv) ---", and how sure OCR was where it read the page."""
    label = f" (printed {page.label})" if page.label else ""
    read = ""
    if page.ocr:
        sure = f", confidence {page.confidence:.0f}%" if page.confidence is not None else ""
        read = f" (read by OCR{sure}: may contain errors)"
    return f"--- page {page.number}{label}{read} ---"


@main.command()
@_verbosity_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_library
def status(lib: Library, as_json: bool) -> None:
    """Show each catalog entry: full text, summary only, or error, and why.

    \b
    Examples:
      splib status
      splib status --json | jq '.entries[] | select(.state != "text")'
    """
    statuses = lib.status()
    if as_json:
        keys = ("id", "state", "source", "pages", "chars", "fetched_at", "error",
                "ocr_pages", "ocr_confidence", "unread")
        entries = [{k: getattr(s, k) for k in keys} for s in statuses]
        click.echo(_json({"entries": entries}, ensure_ascii=False, indent=1))
        return
    _print_status_table(statuses)
    if statuses and lib.store.current_index() is None:
        # A data folder named by mistake (--data, SPLIB_DATA) looks like this too.
        click.echo(f"No index yet in {lib.store.root}: `{_command(lib, 'rebuild')}` fetches, "
                   "reads and indexes the reports.", err=True)


def _print_status_table(statuses: Sequence[EntryStatus]) -> None:
    rows = [("ID", "STATE", "SOURCE", "PAGES", "CHARS", "FETCHED")]
    for s in statuses:
        pages = f"{s.pages} ({s.ocr_pages} OCR)" if s.ocr_pages else str(s.pages)
        if s.unread:
            pages += " (some unread)"
        rows.append((s.id, s.state, s.source or "-", pages, f"{s.chars:,}",
                     (s.fetched_at or "-").replace("T", " ").rstrip("Z")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    problems = [s for s in statuses if s.error or s.unread]
    if problems:
        click.echo("")
        for s in problems:
            click.echo(f"{s.id}: {_as_typed(s.error or s.unread or '')}")


@main.command()
@_verbosity_options
@click.option("--refetch", is_flag=True, help="Ask every source again (conditional requests).")
@click.option("--offline", is_flag=True, help="Use only what the data folder already has.")
@_jobs_option
@pass_library
def rebuild(lib: Library, refetch: bool, offline: bool, jobs: int) -> None:
    """Fetch what is missing, extract what is new, and build a fresh index.

    The new index replaces the old one in one step: searches keep working meanwhile, and a
    rebuild that fails leaves the old index in place.

    \b
    Examples:
      splib rebuild
      splib rebuild --offline --jobs 2
    """
    report = _with_bar(lib.rebuild, refetch, offline, jobs)
    _print_build(report, "Rebuilt the index")


def _with_bar(job: Any, refetch: bool, offline: bool, jobs: int) -> BuildReport:
    """Run a rebuild or an update with a progress bar on stderr."""
    if refetch and offline:
        raise click.UsageError("--refetch and --offline contradict each other; pick one.")
    bar = ProgressBar()
    try:
        report: BuildReport = job(refetch=refetch, offline=offline, jobs=jobs, progress=bar)
    finally:
        bar.close()
    return report


@main.command()
@_verbosity_options
@click.option("--refetch", is_flag=True, help="Ask every source whether it changed.")
@click.option("--offline", is_flag=True, help="Use only what the data folder already has.")
@click.option("--inbox", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The drop folder whose files are added first.  [default: inbox beside "
                   "the catalog]")
@_jobs_option
@pass_library
def update(lib: Library, refetch: bool, offline: bool, jobs: int, inbox: Path | None) -> None:
    """Add the files dropped in inbox/ (moved into files/), then re-index only what changed
    in the catalog or at the sources; retry failed entries.

    \b
    Examples:
      splib update
      splib update --refetch
      splib update --inbox ~/Desktop/new-reports
    """
    report = _with_bar(functools.partial(lib.update, inbox=inbox), refetch, offline, jobs)
    if not report.reindexed:
        click.echo(f"Nothing changed; the index is up to date ({plural(report.pages, 'page')}, "
                   f"{report.seconds:.1f} s).", err=True)
        _print_problems(report)
        return
    changes = report.changes
    if changes is not None:
        parts = [f"{len(v)} {k}" for k, v in (("added", changes.added),
                 ("changed", changes.changed), ("removed", changes.removed)) if v]
        click.echo("Re-indexed: " + ", ".join(parts) + ".", err=True)
    _print_build(report, "Updated the index")


def _print_build(report: BuildReport, what: str) -> None:
    click.echo(
        f"{what}: {plural(len(report.with_text), 'report')} with full text, "
        f"{len(report.summary_only)} summary only, {plural(len(report.errors), 'error')}; "
        f"{plural(report.pages, 'page')} indexed in {report.seconds:.1f} s.", err=True)
    _print_problems(report)


def _print_problems(report: BuildReport) -> None:
    for entry in report.entries:
        problem = entry.error or entry.unread
        if problem:
            # A report whose file has gone, or whose link failed, or that cannot be read
            # again, keeps the text read before: indexed still, but its keeper should hear.
            state = "its text as read before" if entry.error and entry.state == "text" else \
                entry.state.replace("-", " ")
            click.echo(f"  {entry.id} ({state}): {_as_typed(problem)}", err=True)
    for note in report.notes:
        click.echo(f"Note: {_as_typed(note)}", err=True)


def _current_library() -> Library | None:
    """The library of the command running, if it has one."""
    ctx = click.get_current_context(silent=True)
    lib = ctx.find_root().obj if ctx is not None else None
    return lib if _is_library(lib) else None


def _typed(args: str) -> str:
    """The splib command `args` as this person must type it (`_command`)."""
    lib = _current_library()
    return _command(lib, args) if lib is not None else f"splib {args}"


def _as_typed(message: str) -> str:
    """`message` with the splib commands it names as this person must type them (with the
    options that name their library: `_command`)."""
    if "--catalog" in message or "`splib " not in message:
        return message
    return message.replace("`splib ", "`" + _typed("").rstrip() + " ")


class _QueryCommand(click.Command):
    """A command whose arguments are a query as typed: `splib search housing -rural`.

    A word that starts with "-" is part of the query unless it is one of the command's own
    options: click alone would read "-rural" as the options -r -u -r -a -l.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not param.is_flag and not param.count
        options: list[str] = []
        words: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            name = arg.split("=", 1)[0]
            if arg == "--":
                words.extend(args[i + 1:])
                break
            if name in takes_value:
                if takes_value[name] and "=" not in arg and i + 1 >= len(args):
                    # "--org" with nothing after it: click's own message says so.
                    return super().parse_args(ctx, args)
                options.append(arg)
                if takes_value[name] and "=" not in arg:
                    options.append(args[i + 1])
                    i += 1
            elif arg[:2] in takes_value and takes_value[arg[:2]] and arg[2:].isdigit():
                options.append(arg)  # -n5
            else:
                words.append(arg)
            i += 1
        return super().parse_args(ctx, [*options, "--", *words])


@main.command(cls=_QueryCommand)
@_verbosity_options
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Reports to show.")
@click.option("--pages", "-p", type=click.IntRange(0, 50), default=3, show_default=True,
              help="Snippets (best pages) per report.")
@click.option("--org", help="Only reports whose organisation has these words.")
@click.option("--year", help="Only reports of a year or range: 2013 or 2008-2013.")
@click.option("--offset", type=click.IntRange(0, 10_000), default=0, show_default=True,
              help="Skip this many of the first reports (the next page: --offset 10).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="Best first, or by the catalog's date (undated reports last).")
@click.option("--facets", is_flag=True,
              help="Also count the matching reports by organisation and by year.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (with the facet counts).")
@pass_library
def search(lib: Library, query: tuple[str, ...], limit: int, pages: int, org: str | None,
           year: str | None, offset: int, sort: str, facets: bool, as_json: bool) -> None:
    """Search inside the reports and their summaries.

    Reports with all the words (in their pages, title or summary, in any of the words'
    forms: house finds housing) come first; reports with some of them follow when they are
    few (+word or AND requires a word). A misspelt word is searched with its correction. A
    question or a pasted paragraph is read as plain words.

    \b
    Query syntax:
      "certification letter"           the exact phrase
      shelter OR housing               either word
      housing -rural, housing NOT rural  reports that never say rural
      title:guide                      a word in the title (also summary: body: org: author:)
      year:2008, year:2008-2013        reports of a year or a range
      traffick*                        words that start so
      trafficing~                      words spelt nearly so

    \b
    Examples:
      splib search housing for survivors
      splib search '"certification letter"' --year 2008-2013
      splib search 'title:needs OR org:justice' --json | jq '.results[0]'
      splib search trafficking --limit 10 --offset 10     # the second ten
      splib search "T visa" --sort newest
      splib search "labor trafficking" --facets           # how many per organisation, year
      splib search housing -rural                          # reports never saying "rural"
      splib search "What services do victims need? (housing, mental health)"
    """
    from .search import JSON_MORE_LIKE_THIS

    results = lib.search(" ".join(query), limit=limit, pages=pages, org=org, year=year,
                         more_like_this=JSON_MORE_LIKE_THIS if as_json else 0, offset=offset,
                         sort=sort, facets=facets or as_json)
    if as_json:
        click.echo(_json(results.to_json(), ensure_ascii=False, indent=1))
        return
    _print_results(results, offset, color=sys.stdout.isatty(), sort=sort)
    if facets and results.facets is not None and results.total:
        _print_facets(results.facets)


def _event(stage: str, done: int, total: int, item: str) -> ProgressEvent:
    from .ingest import ProgressEvent

    return ProgressEvent(stage, done, total, item)


def _print_facets(facets: Facets) -> None:
    """The facet counts, most first: what `--org "..."` or `--year` would narrow to."""
    click.echo("")
    if facets.organization:
        click.echo("By organisation (--org):")
        for name, count in facets.organization:
            click.echo(f"  {count:>5}  {name}")
    if facets.year:
        click.echo("By year (--year):")
        for year, count in facets.year:
            click.echo(f"  {count:>5}  {year}")


def _print_results(results: SearchResults, offset: int, color: bool,
                   sort: str = "relevance") -> None:
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}", err=True)
    if not results.results:
        past = f" past the first {offset}" if offset and results.total else ""
        click.echo(f"No reports match {results.query!r}{past}.", err=True)
        for note in results.notes:
            click.echo(note, err=True)
        return
    if results.fallback:
        click.echo("No report has all the words; showing reports with any of them.", err=True)
    if results.also:
        click.echo(f"Also searched: {', '.join(results.also)}.", err=True)
    for note in results.notes:
        click.echo(note, err=True)
    shown = f"{offset + 1}-{offset + len(results.results)}" if offset else \
        str(len(results.results))
    if results.all_words is not None:
        some = len(results.results) - max(0, results.all_words - offset)
        have = "has" if results.total == 1 else "have"
        click.echo(f"{plural(results.total, 'report')} {have} all the words; showing "
                   f"{shown}: after them, {some} with some of the words.", err=True)
    elif results.question:  # any word may match: the count says little, the order much
        share = "shares" if results.total == 1 else "share"
        closest = ", the closest first" if sort == "relevance" and results.total > 1 else ""
        click.echo(f"{plural(results.total, 'report')} {share} words with it{closest}; "
                   f"showing {shown}.", err=True)
    else:
        match = "matches" if results.total == 1 else "match"
        click.echo(f"{plural(results.total, 'report')} {match}; showing {shown}.", err=True)
    similar = _typed("similar")  # the command under each result, named once
    for rank, hit in enumerate(results.results, start=offset + 1):
        _print_hit(rank, hit, color, similar)


def _print_hit(rank: int, hit: Hit, color: bool, similar: str) -> None:
    click.echo("")
    title = click.style(hit.title, bold=True) if color else hit.title
    click.echo(f"{rank}. {title}")
    facts = [x for x in (hit.organization, hit.date) if x]
    from .wording import SOURCE_WORDS

    facts.append(SOURCE_WORDS.get(hit.source, "summary only"))
    click.echo("   " + " · ".join(facts))
    if hit.url:
        click.echo(f"   {hit.url}")
    for snip in hit.snippets:
        where = snip.citation or "summary"
        if snip.ocr:
            where += " [read by OCR: may contain errors]"
        click.echo(f"   {where}: {mark(snip, color)}")
    click.echo(f"   more like this: {similar} {hit.id}")


def mark(snip: Snippet, color: bool) -> str:
    """The snippet's text with its highlights in bold colour, or between ** when not a TTY."""
    out, last = [], 0
    for start, end in snip.highlights:
        out.append(snip.text[last:start])
        word = snip.text[start:end]
        out.append(click.style(word, bold=True, fg="yellow") if color else f"**{word}**")
        last = end
    out.append(snip.text[last:])
    return "".join(out).strip()


@main.command()
@_verbosity_options
@click.argument("report_id", metavar="ID")
@click.option("--text", "with_text", is_flag=True, help="Print the whole extracted text.")
@click.option("--page", type=click.IntRange(1), help="Print the text of this page only.")
@pass_library
def show(lib: Library, report_id: str, with_text: bool, page: int | None) -> None:
    """Show a catalog entry, its status and its extracted text.

    \b
    Examples:
      splib show aspe-needs-2008
      splib show aspe-needs-2008 --page 4
    """
    view = lib.show(report_id)
    r, s = view.report, view.status
    pages: tuple[Any, ...] = ()
    if (with_text or page) and view.document is not None:
        pages = view.document.pages
        if page is not None:
            pages = tuple(p for p in pages if p.number == page)
            if not pages:
                raise SplibError(f"{r.id} has pages 1-{len(view.document.pages)}; there is "
                                 f"no page {page}.")
    fields = [("Title", r.title), ("Organization", r.organization),
              ("Prepared for", r.prepared_for), ("Authors", "; ".join(r.authors)),
              ("Date", r.date), ("URL", r.url), ("Local file", str(r.path) if r.path else ""),
              ("State", s.state), ("Text from", s.source or ""),
              ("Indexed address", s.url if s.url != r.url else ""),
              ("Pages", str(s.pages) if s.pages else ""), ("OCR", s.ocr_note()),
              ("Fetched", s.fetched_at or ""), ("Problem", _as_typed(s.error or ""))]
    for name, value in fields:
        if value:
            click.echo(f"{name + ':':<17}{value}")
    if r.summary:
        click.echo(f"\n{r.summary}")
    for number, topic in enumerate(r.topics, start=1):
        click.echo(f"  ({number}) {topic}")
    for warning in view.warnings:
        click.echo(f"note: {warning}", err=True)
    if (with_text or page) and view.document is None:
        shown = "the catalog's summary above" if r.summary else "its catalog entry above"
        click.echo(f"note: {r.id} has no extracted text to show, only {shown} "
                   f"({_as_typed(s.error) if s.error else s.state}).", err=True)
    for p in pages:
        click.echo(f"\n{page_heading(p)}\n{p.text}")


@main.command()
@_verbosity_options
@click.argument("targets", nargs=-1, required=True, metavar="PATH|FOLDER|URL...")
@click.option("--copy", "place", flag_value="copy",
              help="Copy the files into files/ beside the catalog.")
@click.option("--move", "place", flag_value="move",
              help="Move the files into files/ beside the catalog.")
@click.option("--dry-run", is_flag=True, help="Print the entries; change nothing.")
@pass_library
def add(lib: Library, targets: tuple[str, ...], place: str | None, dry_run: bool) -> None:
    """Add reports to the catalog: files, folders of files, or addresses. Each entry's title,
    date, organisation, authors and summary are read from the report itself (its cover, its
    metadata, its opening pages); check them with `splib show ID` and edit the catalog if
    need be. A report the catalog already holds is skipped.

    \b
    Examples:
      splib add reports/needs-assessment.pdf
      splib add ~/Downloads/new-reports --copy        # every report and scan in it
      splib add https://www.example.org/report.pdf --dry-run
    """
    from .keeping import entries_toml

    bar = ProgressBar()
    try:
        report = lib.add(targets, place=place or "refer", dry_run=dry_run, progress=bar)
    finally:
        bar.close()
    if dry_run and report.entries:
        click.echo(entries_toml(report.entries), nl=False)
    _print_refusals(report)
    for note in report.notes:
        click.echo(f"Note: {_as_typed(note)}", err=True)
    if report.written:
        whose = "its title" if len(report.entries) == 1 else "their titles"
        click.echo(f"Added {plural(len(report.entries), 'report')} to {lib.catalog_path}: "
                   + ", ".join(str(e["id"]) for e in report.entries) + f". Check {whose} "
                   f"with `{_command(lib, 'show ID')}`, then run `{_command(lib, 'update')}`.",
                   err=True)
    elif dry_run and report.entries:
        click.echo(f"{plural(len(report.entries), 'entry', 'entries')} would be added to "
                   f"{lib.catalog_path}; nothing was changed.", err=True)
    if report.failed or (report.refused and not report.entries):
        sys.exit(1)  # the others are added; a script still hears that some could not be


def _print_refusals(report: AddReport) -> None:
    """Each file or entry not added, and why: a report the catalog holds is skipped (as
    adding a folder again expects), anything else refused."""
    for refusal in report.refused:
        click.echo(f"{'Refused' if refusal in report.failed else 'Skipped'} {refusal}.",
                   err=True)


@main.command("import")
@_verbosity_options
@click.argument("source", metavar="FILE|URL")
@click.option("--dry-run", is_flag=True, help="Print the entries; change nothing.")
@pass_library
def import_command(lib: Library, source: str, dry_run: bool) -> None:
    """Add the entries of a library's listing page (its HTML page, or the page's text) to the
    catalog: organisation, title, authors and date, summary, topics and links of each.

    \b
    Examples:
      splib import library-page.html
      splib import https://www.example.org/library --dry-run
      splib import ../shared/seed/library-for-service-providers.txt
    """
    from .keeping import entries_toml

    report = lib.import_listing(source, dry_run=dry_run)
    if dry_run and report.entries:
        click.echo(entries_toml(report.entries), nl=False)
    _print_refusals(report)
    found = plural(len(report.entries), "entry", "entries")
    if report.written:
        click.echo(f"Added {found} to {lib.catalog_path}: "
                   + ", ".join(str(e["id"]) for e in report.entries) + ". Add each one's "
                   f"`url` or `path` where the page gave none, then run "
                   f"`{_command(lib, 'update')}`.", err=True)
    elif dry_run:
        click.echo(f"{found} would be added to {lib.catalog_path}; nothing was changed.",
                   err=True)
    if report.refused and not report.entries:
        sys.exit(1)


@main.command()
@_verbosity_options
@pass_library
def check(lib: Library) -> None:
    """Check the catalog without fetching or building: every problem, duplicate reports under
    two ids, missing local files, and entries without a summary. Exit status 1 when something
    must be fixed.

    \b
    Examples:
      splib check
      splib --catalog ~/library/catalog.toml check
    """
    from .keeping import check_summary

    report = lib.check()
    for problem in report.problems:
        click.echo(f"  problem: {_as_typed(problem)}")
    for warning in report.warnings:
        click.echo(f"  warning: {warning}")
    click.echo(f"{lib.catalog_path}: {check_summary(report)}")
    if report.problems:
        sys.exit(1)


@main.command("similar")
@_verbosity_options
@click.argument("report_id", metavar="ID")
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=5, show_default=True,
              help="Reports to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_library
def similar_command(lib: Library, report_id: str, limit: int, as_json: bool) -> None:
    """Show the reports most like report ID, with the key terms that tie them.

    \b
    Examples:
      splib similar aspe-needs-2008
      splib similar aspe-needs-2008 --limit 3 --json
    """
    found = lib.similar(report_id, limit=limit)
    if as_json:
        click.echo(_json({"id": report_id, "similar": [s.to_json() for s in found]},
                              ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo(f"No report shares key terms with {report_id}.", err=True)
    for rank, item in enumerate(found, start=1):
        facts = " · ".join(x for x in (item.organization, item.date) if x)
        click.echo(f"{rank}. {item.title}" + (f"  ({facts})" if facts else ""))
        click.echo(f"   {item.id}; shared terms: {', '.join(item.terms) or '-'}")


@main.command("eval")
@_verbosity_options
@click.argument("questions", type=click.Path(dir_okay=False), default="queries/library.toml")
@pass_library
def eval_command(lib: Library, questions: str) -> None:
    """Score the index on saved questions: nDCG@10, MRR, and the questions whose best
    answer is not first (see queries/library.toml for the format). Exits with status 1 when a
    question's `must` report is not among its first 3 results.

    \b
    Examples:
      splib eval
      splib eval queries/library.toml
    """
    from .evaluate import MUST_RANK

    report = lib.evaluate(questions)
    click.echo(f"{len(report.results)} questions: nDCG@10 {report.ndcg10:.4f}, "
               f"MRR {report.mrr:.4f}")
    if report.misses:
        click.echo(f"\nBest answer not first ({len(report.misses)}):")
        for miss in report.misses:
            best = [i for i, g in miss.question.grades.items()
                    if g == max(miss.question.grades.values())]
            click.echo(f"  {miss.question.text!r}: first {miss.ranked[0] if miss.ranked else '-'}"
                       f", best {', '.join(best)}")
    if report.failed:
        click.echo(f"\nMust-find reports not in the first {MUST_RANK} ({len(report.failed)}):")
        for failed in report.failed:
            click.echo(f"  {failed.question.text!r}: {', '.join(failed.missing)} not in "
                       f"{', '.join(failed.ranked[:MUST_RANK]) or 'no results'}")
        raise SystemExit(1)


@main.command()
@_verbosity_options
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines in.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0 picks a free one).")
@click.option("--title", default="Report library", show_default=True,
              help="The library's name, shown on every page.")
@pass_library
def serve(lib: Library, host: str, port: int, title: str) -> None:
    """Serve a search page, the catalog and a JSON API (/api/search?q=...) in the browser.

    \b
    Examples:
      splib serve                      # then open http://127.0.0.1:8000/
      splib serve --host 0.0.0.0 --port 8080 --title "Library for Service Providers"
    """
    from .web import LOOPBACK
    from .web import serve as run_server

    if host not in LOOPBACK:
        click.echo(f"Listening on {host}: anyone who can reach this machine can search the "
                   "library and open its saved copies.", err=True)
    if lib.store.current_index() is None:
        click.echo(f"No index yet: searches will say so until `{_command(lib, 'rebuild')}` "
                   "has run.", err=True)
    import contextlib

    with contextlib.suppress(KeyboardInterrupt):  # waitress mostly catches it and returns
        run_server(lib, host, port, title,
                   ready=lambda url: click.echo(f"Serving {title!r} at {url} (Ctrl+C stops)."))
    click.echo("Stopped.", err=True)


if __name__ == "__main__":  # python -m indexer.cli
    main(prog_name="splib")
