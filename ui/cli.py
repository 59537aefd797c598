"""``pa-desk``: the desk (no sub-command) and its maintenance and benchmark commands.

Only the GUI path imports Qt; the other commands start without it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pa-desk",
        description="PA Desk: the patient-accounts phone agent's desk.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="open the desk (the default)")
    _gui_options(run)
    _gui_options(parser)

    demo = sub.add_parser("demo", help="fill an empty database with demo data")
    demo.add_argument("--patients", type=int, required=True)
    demo.add_argument("--db", required=True, help="database URL or SQLite file path")
    demo.add_argument("--seed", type=int, default=1)

    migrate = sub.add_parser("migrate", help="create or upgrade a database to the newest schema")
    migrate.add_argument("--db", required=True)

    find = sub.add_parser("lookup", help="search from the command line, as the panel does")
    find.add_argument("text")
    find.add_argument("--db", default=None)

    central = sub.add_parser("central", help="prepare the central database")
    tasks = central.add_subparsers(dest="central", metavar="TASK", required=True)
    init = tasks.add_parser("init", help="schema, policy, environment marker, desk role")
    init.add_argument("--url", required=True, help="central database URL (as its owner)")
    init.add_argument("--environment", choices=("production", "sandbox"), default="production")
    login = tasks.add_parser("add-login", help="PostgreSQL: a sign-in role for one person")
    login.add_argument("--url", required=True, help="central database URL (as its owner)")
    login.add_argument("--login", required=True)
    login.add_argument("--name", default=None, help="the person's name as the desk shows it")
    login.add_argument("--role", choices=("agent", "lead", "trainee", "admin"), default="agent")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    join = sub.add_parser("join", help="fill an empty desk store with its share of the centre")
    join.add_argument("--db", default=None, help="the desk's local database (empty)")
    join.add_argument("--central", required=True, help="central database URL")

    sync = sub.add_parser("sync", help="push this desk's waiting writes and pull new ones")
    sync.add_argument("--db", default=None, help="the desk's local database")
    sync.add_argument("--central", default=None, help="central database URL")

    imp = sub.add_parser("import-835", help="apply an 835 to the desk's claims and ledger")
    imp.add_argument("file")
    imp.add_argument("--db", default=None)
    imp.add_argument("--user", default=None)

    i271 = sub.add_parser("import-271", help="keep a 271's benefits as coverage snapshots")
    i271.add_argument("file")
    i271.add_argument("--db", default=None)
    i271.add_argument("--user", default=None)

    explain = sub.add_parser("explain", help="read an account's balance aloud, visit by visit")
    explain.add_argument("account", help="account number")
    explain.add_argument("--db", default=None)
    explain.add_argument("--lang", choices=("en", "es"), default="en")

    codes = sub.add_parser("codes", help="reason code texts (CARC/RARC)")
    code_tasks = codes.add_subparsers(dest="codes", metavar="TASK", required=True)
    code_import = code_tasks.add_parser(
        "import", help="load the licensed list (CSV kind,code,text)"
    )
    code_import.add_argument("file")
    code_show = code_tasks.add_parser("show", help="what the desk says for a code")
    code_show.add_argument("kind", choices=("CARC", "RARC", "carc", "rarc"))
    code_show.add_argument("code")

    ring = sub.add_parser("ring", help="send an incoming call to the running desk (CTI stand-in)")
    ring.add_argument("number", help="the caller's number, in any common format")
    ring.add_argument("--region", default="US", help="region for numbers without + (default US)")

    x835 = sub.add_parser("explain-835", help="explain an 835 file's claims (no database)")
    x835.add_argument("file")
    x835.add_argument("--json", action="store_true")

    plans = sub.add_parser("plans", help="payment plans: charge what is due, list an account's")
    plan_tasks = plans.add_subparsers(dest="plans", metavar="TASK", required=True)
    run_due = plan_tasks.add_parser("run-due", help="charge due installments (idempotent)")
    run_due.add_argument("--date", default=None, help="YYYY-MM-DD (default: today)")
    run_due.add_argument("--db", default=None)
    run_due.add_argument("--user", default=None)
    run_due.add_argument("--json", action="store_true")
    plan_list = plan_tasks.add_parser("list", help="an account's plans and installments")
    plan_list.add_argument("account", help="account number")
    plan_list.add_argument("--db", default=None)
    plan_list.add_argument("--user", default=None)
    plan_list.add_argument("--json", action="store_true")

    bench = sub.add_parser("bench", help="print performance figures")
    kinds = bench.add_subparsers(dest="bench", metavar="BENCH", required=True)
    bpost = kinds.add_parser("post", help="payments/s through the whole posting path")
    bpost.add_argument("--payments", type=int, default=10_000)
    bpost.add_argument("--db", required=True, help="database URL (SQLite file or PostgreSQL)")
    bpost.add_argument("--seed", type=int, default=None)
    bpost.add_argument("--json", action="store_true")
    bpf = kinds.add_parser(
        "pay-faults", help="SIGKILL a desk taking payments; count double or lost postings"
    )
    bpf.add_argument("--trials", type=int, default=200)
    bpf.add_argument("--central", required=True, help="central database URL")
    bpf.add_argument("--seed", type=int, default=None)
    bpf.add_argument("--json", action="store_true")
    look = kinds.add_parser("lookup", help="search p50/p95 against a naive scan")
    look.add_argument("--patients", type=int, default=100_000)
    look.add_argument("--db", required=True)
    look.add_argument("--queries", type=int, default=200, help="desk queries per kind")
    look.add_argument("--naive-queries", type=int, default=12, help="baseline queries per kind")
    look.add_argument("--seed", type=int, default=None, help="fix the term mix (default: fresh)")
    look.add_argument("--json", action="store_true")
    bsync = kinds.add_parser("sync", help="push events/s to a central database, GUI stall")
    bsync.add_argument("--events", type=int, default=10_000)
    bsync.add_argument("--db", required=True, help="central database URL")
    bsync.add_argument("--json", action="store_true")
    bexp = kinds.add_parser("explain", help="time to explain an account with N ledger lines")
    bexp.add_argument("--lines", type=int, default=500)
    bexp.add_argument("--json", action="store_true")
    faults = kinds.add_parser("faults", help="SIGKILL the sync at random; count lost/duplicated")
    faults.add_argument("--trials", type=int, default=200)
    faults.add_argument("--db", required=True, help="central database URL")
    faults.add_argument("--seed", type=int, default=None)
    faults.add_argument("--json", action="store_true")
    start = kinds.add_parser("startup", help="time to a usable window, and its memory")
    start.add_argument("--runs", type=int, default=5)
    start.add_argument("--json", action="store_true")
    return parser


def _gui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help="database URL (default: embedded SQLite)")
    parser.add_argument("--user", default=None, help="desk username (default: first agent)")
    parser.add_argument(
        "--central", default=None, help="central database URL (default: embedded SQLite)"
    )
    parser.add_argument(
        "--demo-patients", type=int, default=None, help="demo patients for a new database"
    )
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "run":
        return _run_gui(args)
    if command == "demo":
        return _demo(args)
    if command == "migrate":
        return _migrate(args)
    if command == "lookup":
        return _lookup(args)
    if command == "bench":
        return _bench(args)
    if command == "plans":
        from ui.cli_plans import plans_command

        return plans_command(args)
    if command == "central":
        return _central(args)
    if command == "sync":
        return _sync(args)
    if command == "join":
        return _join(args)
    if command == "explain-835":
        return _explain_835(args)
    if command == "import-835":
        return _import_835(args)
    if command == "explain":
        return _explain(args)
    if command == "import-271":
        return _import_271(args)
    if command == "codes":
        return _codes(args)
    if command == "ring":
        return _ring(args)
    raise AssertionError(command)


def _run_gui(args: argparse.Namespace) -> int:
    from app.config import DEFAULT_DEMO_PATIENTS
    from ui.app import run_gui

    demo = DEFAULT_DEMO_PATIENTS if args.demo_patients is None else args.demo_patients
    return run_gui(
        args.db,
        username=args.user,
        demo_patients=demo,
        startup_probe=args.startup_probe,
        central_url=args.central,
    )


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _demo(args: argparse.Namespace) -> int:
    from app.demo import generate_demo
    from app.store.db import make_engine
    from app.store.migrate import upgrade_to_head

    engine = make_engine(args.db)
    upgrade_to_head(engine)

    def progress(done: int, total: int) -> None:
        _err(f"  {done:,} / {total:,} patients")

    try:
        summary = generate_demo(engine, args.patients, seed=args.seed, progress=progress)
    except ValueError as exc:
        _err(f"pa-desk demo: {exc}")
        return 2
    finally:
        engine.dispose()
    print(
        f"{summary.patients:,} patients on {summary.accounts:,} accounts, "
        f"{summary.encounters:,} visits, {summary.ledger_entries:,} ledger entries "
        f"in {summary.seconds:.1f} s"
    )
    return 0


def _central(args: argparse.Namespace) -> int:
    from app.services.central import CentralSetupError, add_desk_login, init_central
    from app.store.db import describe, make_engine

    engine = make_engine(args.url)
    try:
        if args.central == "init":
            info = init_central(engine, environment=args.environment)
            role = f"; desks sign in as members of {info.app_role}" if info.app_role else ""
            print(f"{describe(engine)}: central database ready ({info.environment}){role}")
            return 0
        password = _read_password(args.password_stdin)
        from app.domain.codes import Role

        add_desk_login(engine, args.login, password, display_name=args.name, role=Role(args.role))
        print(f"{describe(engine)}: login {args.login} can sign in to the desk")
        return 0
    except CentralSetupError as exc:
        _err(f"pa-desk central: {exc}")
        return 2
    finally:
        engine.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("pa-desk central: the passwords differ")
    return first


def _sync(args: argparse.Namespace) -> int:
    from app.config import default_central_url, default_database_url, workstation_name
    from app.services.sync import CentralLink
    from app.store.db import make_engine

    local = make_engine(args.db or default_database_url())
    link = CentralLink(local, args.central or default_central_url(), origin=workstation_name())
    try:
        report = link.sync_now()
        status = link.status()
    finally:
        link.close()
        local.dispose()
    state = "online" if report.online else "offline"
    print(f"{state}: {report.message}; {status.waiting} waiting, {status.conflicts} conflict(s)")
    return 0 if report.online else 1


def _join(args: argparse.Namespace) -> int:
    from app.config import default_database_url
    from app.store.db import make_engine
    from app.store.migrate import upgrade_to_head
    from app.sync.bootstrap import NotEmpty, join_central

    local = make_engine(args.db or default_database_url())
    central = make_engine(args.central)
    try:
        upgrade_to_head(local)
        result = join_central(local, central, progress=_err)
    except NotEmpty as exc:
        _err(f"pa-desk join: {exc}")
        return 2
    finally:
        local.dispose()
        central.dispose()
    print(
        f"joined: {result.accounts:,} accounts with open balances, {result.rows:,} rows; "
        f"pulling from feed position {result.cursor:,}"
    )
    return 0


def _import_835(args: argparse.Namespace) -> int:
    from app.config import default_database_url
    from app.integrations.x12.segments import X12Error
    from app.services.desk import open_desk

    try:
        with open(args.file, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError as exc:
        _err(f"pa-desk import-835: cannot read the file ({exc.strerror})")
        return 2
    desk = open_desk(args.db or default_database_url(), username=args.user, demo_patients=0)
    try:
        result = desk.import_835(text)
    except X12Error as exc:
        _err(f"pa-desk import-835: {exc}; nothing was imported")
        return 2
    except ValueError as exc:
        _err(f"pa-desk import-835: {type(exc).__name__}: nothing was imported")
        return 2
    finally:
        desk.close()
    where = ", ".join(f"segment {p}" for p in result.unmatched)
    print(
        f"applied {result.applied} claim(s), {result.already} already imported, "
        f"{result.ledger_entries} ledger entries"
        + (f"; {len(result.unmatched)} not matched ({where})" if result.unmatched else "")
    )
    return 0


def _codes(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.config import data_dir
    from app.integrations.x12.reasons import CodeFileError, describe, import_codes

    if args.codes == "show":
        print(describe(args.kind, args.code))
        return 0
    try:
        count = import_codes(Path(args.file), data_dir())
    except (OSError, CodeFileError, UnicodeDecodeError) as exc:
        _err(f"pa-desk codes import: {exc}")
        return 2
    print(f"{count} reason code texts loaded; they take precedence over the built-in ones")
    return 0


def _ring(args: argparse.Namespace) -> int:
    from app.config import data_dir
    from app.domain.phones import display
    from app.integrations.cti import CtiError, CtiEvent, CtiEventKind, caller_number

    try:
        number = caller_number(args.number, args.region)
    except ValueError:
        _err(f"pa-desk ring: {args.number!r} is not a phone number (region {args.region})")
        return 2
    from ui.cti_socket import send_event, server_name

    try:
        reply = send_event(server_name(data_dir()), CtiEvent(CtiEventKind.RING, number))
    except CtiError as exc:
        _err(f"pa-desk ring: {exc}")
        return 1
    if not reply["ok"]:
        _err(f"pa-desk ring: the desk refused the call: {reply['error']}")
        return 1
    print(f"Rang the desk: {display(number)}")
    return 0


def _import_271(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.config import default_database_url
    from app.integrations.x12.segments import X12Error
    from app.services.desk import open_desk

    try:
        text = Path(args.file).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        _err(f"pa-desk import-271: cannot read the file ({exc.strerror})")
        return 2
    desk = open_desk(args.db or default_database_url(), username=args.user, demo_patients=0)
    try:
        result = desk.import_271(text, reference=Path(args.file).name)
    except X12Error as exc:
        _err(f"pa-desk import-271: {exc}; nothing was imported")
        return 2
    finally:
        desk.close()
    rejected = f"; rejected by the payer ({', '.join(result.rejected)})" if result.rejected else ""
    print(
        f"{result.snapshots} benefits snapshot(s), {result.already} already imported, "
        f"{result.unmatched} member(s) not found{rejected}"
    )
    return 0


def _explain(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.config import default_database_url
    from app.domain.money import format_usd
    from app.domain.words import account_summary, visit_script
    from app.services.desk import open_desk
    from app.store.models import GuarantorAccount

    desk = open_desk(args.db or default_database_url(), demo_patients=0)
    try:
        with desk.engine.connect() as conn:
            account_id = conn.scalar(
                select(GuarantorAccount.id).where(GuarantorAccount.account_number == args.account)
            )
        if account_id is None:
            _err(f"pa-desk explain: no account {args.account}")
            return 2
        explained = desk.explain(account_id)
        comparison = desk.compare_with_statement(account_id)
    finally:
        desk.close()
    print(account_summary(explained, args.lang))
    if comparison is not None:
        from app.domain.statements import comparison_words

        print(comparison_words(comparison, args.lang))
    for visit in explained.visits:
        if visit.owed or visit.with_insurance:
            print(f"\n{visit.service_date:%m/%d/%Y}  {format_usd(visit.balance):>10}")
            print(visit_script(visit, args.lang))
    return 0


def _explain_835(args: argparse.Namespace) -> int:
    from app.integrations.x12.remit835 import explain, parse_835
    from app.integrations.x12.segments import X12Error

    try:
        with open(args.file, encoding="utf-8", errors="replace") as handle:
            report = explain(parse_835(handle.read()))
    except OSError as exc:
        _err(f"pa-desk explain-835: cannot read the file ({exc.strerror})")
        return 2
    except X12Error as exc:
        _err(f"pa-desk explain-835: {exc}")
        return 2
    if args.json:
        print(json.dumps(report))
        return 0
    for claim in report["claims"]:
        share = claim["patient_responsibility"]
        parts = ", ".join(f"{k} {v}" for k, v in share.items() if v not in ("0.00", "-0.00"))
        print(
            f"{claim['patient_control_number']:<20} status {claim['status']:<3} billed "
            f"{claim['billed']:>10} paid {claim['paid']:>10}  patient: {parts or 'nothing'}"
        )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from app.store.db import describe, make_engine
    from app.store.migrate import current_revision, upgrade_to_head

    engine = make_engine(args.db)
    upgrade_to_head(engine)
    print(f"{describe(engine)} is at revision {current_revision(engine)}")
    engine.dispose()
    return 0


def _lookup(args: argparse.Namespace) -> int:
    from app.config import default_database_url
    from app.domain.money import format_usd
    from app.services.desk import open_desk

    desk = open_desk(args.db or default_database_url(), demo_patients=0)
    try:
        answer = desk.lookup(args.text)
    finally:
        desk.close()
    print(f"{answer.hint} · {len(answer.results)} found in {answer.elapsed_ms:.1f} ms")
    for r in answer.results:
        born = f"{r.date_of_birth:%m/%d/%Y}" if r.date_of_birth else ""
        print(
            f"{r.name:32.32} {born:10} {r.age:>5} {r.role:9} {r.account_number:9} "
            f"{r.phone:15} {format_usd(r.balance_cents):>11}"
        )
    return 0


def _bench(args: argparse.Namespace) -> int:
    if args.bench == "lookup":
        from app.bench import lookup as bench_lookup
        from app.store.db import make_engine
        from app.store.migrate import upgrade_to_head

        engine = make_engine(args.db)
        upgrade_to_head(engine)
        patients = bench_lookup.ensure_patients(engine, args.patients, _err)
        kinds = bench_lookup.run(
            engine, queries=args.queries, naive_queries=args.naive_queries, seed=args.seed
        )
        report = {"patients": patients, "engine": engine.dialect.name, "kinds": kinds}
        engine.dispose()
    elif args.bench == "explain":
        from app.bench import explain as bench_explain

        report = bench_explain.run(args.lines)
    elif args.bench == "post":
        from app.bench import post as bench_post

        report = bench_post.run(args.db, args.payments, seed=args.seed, say=_err)
    elif args.bench == "pay-faults":
        from app.bench import pay_faults as bench_pay_faults

        report = bench_pay_faults.run(args.central, args.trials, seed=args.seed, say=_err)
    elif args.bench == "faults":
        from app.bench import faults as bench_faults

        report = bench_faults.run(args.db, args.trials, seed=args.seed, say=_err)
    elif args.bench == "sync":
        from ui import bench_sync

        report = bench_sync.run(args.db, args.events)
    else:
        from app.bench import startup

        report = startup.run(runs=args.runs, say=_err)
    if args.json:
        print(json.dumps(report))
    else:
        print(json.dumps(report, indent=2))
    return 0


def run() -> int:
    """The console script: a closed pipe (``| head``) ends the output quietly."""
    try:
        return main()
    except BrokenPipeError:
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(run())
