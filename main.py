"""Otokui entry point: the window with no arguments, the command line otherwise.

The command line is a thin front end over the engine, like the GUI.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from pathlib import Path

import engine
from engine.errors import InvalidInputError, OtokuiError
from engine.store.database import storage_error


class _Parser(argparse.ArgumentParser):
    """Usage errors are one clear line on stderr and exit code 1, like every other error."""

    def error(self, message: str):
        print(f"エラー: {message}（使い方は {self.prog} --help）", file=sys.stderr)
        raise SystemExit(1)


def _add_db(parser: argparse.ArgumentParser) -> None:
    """Every command works on a database file or a shop on a PostgreSQL server (a URL)."""
    parser.add_argument("--db", type=_location, default=None,
                        help="データベースファイル（既定: ユーザーデータフォルダの otokui.db）、"
                             "または postgresql://ユーザー@サーバー:ポート/データベース")


def _location(text: str) -> Path | str:
    """A database file, or a PostgreSQL server's URL as written."""
    from engine.store import postgres
    return text if postgres.is_url(text) else Path(text)


def _add_as_of_and_out(parser: argparse.ArgumentParser,
                       as_of_help: str = "基準日 YYYY-MM-DD（既定: 今日）") -> None:
    parser.add_argument("--as-of", default=None, help=as_of_help)
    parser.add_argument("--out", type=Path, default=None,
                        help="出力ファイル（.csv / .xlsx）。省略時は標準出力")


def _open(args) -> engine.Shop:
    return engine.Shop(args.db, single_instance=True, staff=args.staff)


def cmd_import(args) -> int:
    from engine.imports.formats import AmbiguousFormatError, UnknownFormatError
    failed = False
    with _open(args) as shop, shop.imports.batch():
        for first, *partners in shop.imports.group_downloads(args.files):
            try:
                result = shop.imports.import_file(
                    first, format_name=args.format, mapping=args.mapping, partners=partners)
            except OtokuiError as exc:
                hint = ""
                if isinstance(exc, AmbiguousFormatError):
                    hint = f"（--format {' か --format '.join(exc.candidates)} で形式を指定できます）"
                elif isinstance(exc, UnknownFormatError):
                    hint = "（--mapping 対応付けファイル で取り込めます）"
                print(f"エラー: {exc}{hint}", file=sys.stderr)
                failed = True
                continue
            print(result.summary())
    return 1 if failed else 0


def cmd_formats(args) -> int:
    with _open(args) as shop:
        if args.action == "list":
            for preset in shop.formats.importable():
                print(f"{preset.name}\t{preset.label}" + ("\t（保存した対応付け）" if preset.user else ""))
        elif args.action == "export":
            path = shop.formats.export_user_preset(args.name, args.file)
            print(f"対応付け「{shop.formats.by_name(args.name).label}」を {path.name} に書き出しました。")
        else:
            preset = shop.formats.import_user_preset(args.file)
            print(f"対応付け「{preset.label}」を {preset.name} として保存しました。")
    return 0


def cmd_customers(args) -> int:
    with _open(args) as shop:
        table = shop.customers.table(as_of=args.as_of)
        _write_table(table, args.out)
    return 0


def cmd_segments(args) -> int:
    with _open(args) as shop:
        summary = shop.segments.summary(as_of=args.as_of)
    summary["share"] = summary["share"].round(4)
    _write_table(summary, args.out)
    return 0


def cmd_products(args) -> int:
    with _open(args) as shop:
        if args.import_file is not None:
            count = shop.products.import_cycles(args.import_file).counts["products"]
            print(f"{args.import_file.name}: {count}件の商品の消費サイクルを登録しました。")
            return 0
        if args.suggest_cycles:
            table = shop.products.suggest_cycles(args.as_of)[SUGGEST_CYCLE_COLUMNS]
        elif args.next:
            table = shop.products.next_products(args.as_of)[NEXT_PRODUCT_COLUMNS].round(
                {"support": 4, "lift": 4})
        elif args.due:
            table = shop.products.due_targets(args.as_of)
        else:
            table = shop.products.table()
    _write_table(table, args.out)
    return 0


SUGGEST_CYCLE_COLUMNS = ["product_code", "product_name", "suggested_cycle_days", "repurchases",
                         "current_cycle_days"]
NEXT_PRODUCT_COLUMNS = ["product_code", "next_product_code", "customers", "support", "lift"]


FOLLOWUP_COLUMNS = ["task_id", "customer_id", "cluster", "due_date", "medium", "action",
                    "status", "done_on"]


def cmd_followups(args) -> int:
    if args.left_out:
        return cmd_followups_left_out(args)
    with _open(args) as shop:
        if not shop.followups.generated(args.month):
            shop.followups.generate(args.month, as_of=args.as_of, holdout_share=args.holdout)
        tasks = shop.followups.tasks(args.month)
    _write_table(tasks[FOLLOWUP_COLUMNS], args.out)
    return 0


def cmd_followups_left_out(args) -> int:
    with _open(args) as shop:
        table = shop.followups.left_out(args.month)
    _write_table(table, args.out)
    return 0


def cmd_holdouts(args) -> int:
    with _open(args) as shop:
        table = shop.followups.holdouts(args.month)
    _write_table(table[["customer_id", "cluster", "rule"]], args.out)
    return 0


def cmd_effects(args) -> int:
    from engine.marketing.effects import COLUMNS
    if args.inserts:
        with _open(args) as shop:
            table = shop.effects.insert_ab(window=args.window or 90, as_of=args.as_of)
        _write_table(table, args.out)
        return 0
    if not args.month:
        raise InvalidInputError("--month YYYY-MM で効果を見る計画の月を指定してください"
                                "（同梱物のA/B比較は --inserts）。")
    with _open(args) as shop:
        table = shop.effects.report(args.month, window=args.window or 60, as_of=args.as_of)
    _write_table(table[COLUMNS], args.out)
    return 0


WORKLIST_COLUMNS = ["task_id", "due_date", "overdue_days", "medium", "customer_id", "name",
                    "cluster", "action", "contact"]


def cmd_worklist(args) -> int:
    with _open(args) as shop:
        table = shop.followups.worklist(args.until, media=args.medium, clusters=args.cluster,
                                        rule=args.rule)
    _write_table(table[WORKLIST_COLUMNS], args.out)
    return 0


def cmd_consent(args) -> int:
    from engine.customers.consent import CHANNEL_LABELS, STATE_LABELS
    with _open(args) as shop:
        if args.action == "set":
            shop.consent.set(args.customer, email=args.email, dm=args.dm, phone=args.phone,
                             **({"source": args.source} if args.source else {}))
            state = shop.consent.state(args.customer)
            print(f"顧客 {args.customer}: " + "、".join(
                f"{CHANNEL_LABELS[c]} {STATE_LABELS[state[c]['value']]}" for c in CHANNEL_LABELS))
        else:
            counts = shop.consent.import_list(args.file, args.source).counts
            print(f"{args.file.name}: {counts['rows']:,}行を読み、{counts['customers']:,}人の"
                  f"メール同意を記録しました。" + (f"顧客が見つからないアドレス {counts['unmatched']:,}件。"
                                            if counts["unmatched"] else ""))
    return 0


def cmd_mail(args) -> int:
    with _open(args) as shop:
        if args.action == "setup":
            return _mail_setup(shop, args)
        if args.action == "test":
            to = shop.mail.send_test(args.rule or "", args.to)
            print(f"テストメールを {to} に送りました。届いた文面を確かめてください。")
            return 0
        if args.action == "export":
            count = shop.mail.export_list(args.month, args.out, args.until)
            print(f"{count:,}人分のメール配信リストを {args.out.name} に保存しました。")
            return 0
        report = shop.mail.send(args.month, args.until, dry_run=args.dry_run)
    print(report.summary())
    for row in report.failed:
        print(f"失敗: 顧客 {row['customer_id']} {row['email']}: {row['error']}")
    return 1 if report.failed else 0


def _mail_setup(shop, args) -> int:
    values = {"host": args.host, "port": args.port, "security": args.security,
              "user": args.user, "from_address": args.from_address,
              "sender_name": args.sender_name, "sender_address": args.sender_address,
              "contact": args.contact, "unsubscribe": args.unsubscribe,
              "per_minute": args.per_minute}
    password = None
    if args.user and sys.stdin.isatty() and not os.environ.get("OTOKUI_SMTP_PASSWORD"):
        import getpass
        password = getpass.getpass("メールサーバーのパスワード（このパソコンの資格情報に保存します）: ")
    settings = shop.mail.setup(password=password or None, **values)
    missing = settings.missing()
    print(f"メール設定を保存しました（{settings.host}:{settings.port}）。"
          + (f"まだ入っていない項目: {'・'.join(missing)}" if missing else ""))
    return 0


def cmd_kpi(args) -> int:
    from engine.analysis.decomposition import INCOMPLETE_MARK
    from engine.analysis.kpi import kpi_lines
    with _open(args) as shop:
        values = shop.analysis.kpis(as_of=args.as_of)
        monthly = shop.analysis.monthly_sales(as_of=args.as_of, months=args.months)
    for label, text in kpi_lines(values):
        print(f"{label}: {text}")
    print("\n月別売上（新規 = その顧客の初回注文、リピート = 2回目以降）")
    print("月,売上,新規,リピート,注文数,購入者数")
    for row in monthly.itertuples(index=False):
        month = row.month if row.complete else row.month + INCOMPLETE_MARK
        print(f"{month},{row.sales},{row.new_sales},{row.repeat_sales},{row.orders},{row.buyers}")
    return 0


def cmd_decompose(args) -> int:
    from engine.analysis.decomposition import display_table
    with _open(args) as shop:
        table = shop.analysis.decompose(args.from_month, args.to_month, args.as_of)
    _write_table(display_table(table), args.out)
    return 0


def cmd_privacy(args) -> int:
    from engine.customers.privacy import ERASURE_NOTICE
    with _open(args) as shop:
        if args.action == "delete":
            shop.customers.get(args.customer_id)
            if not args.yes:
                raise OtokuiError(f"顧客ID {args.customer_id} の{ERASURE_NOTICE}"
                                  "実行するには --yes を付けてください。")
            print(shop.privacy.delete_customer(args.customer_id).summary())
            return 0
        ids = shop.privacy.inactive_customers(args.years, as_of=args.as_of)
        if not args.yes:
            raise OtokuiError(f"{args.years}年以上購入のない顧客 {len(ids)}人の{ERASURE_NOTICE}"
                              "実行するには --yes を付けてください。")
        count = shop.privacy.purge_inactive(args.years, as_of=args.as_of)
        print(f"{args.years}年以上購入のない顧客 {count}人の個人情報を削除しました。")
    return 0


def cmd_backup(args) -> int:
    if isinstance(args.db, str):
        from engine.store.server_backups import ServerBackups
        with _terminal_progress() as progress:
            made = ServerBackups(args.db, staff=args.staff).create("手動", progress=progress)
    else:
        with _open(args) as shop:
            made = shop.backups.create("手動")
        if made is None:
            raise OtokuiError("保存されていないデータベースはバックアップできません。")
    print(f"バックアップしました: {made.path}（{made.size_bytes / 1e6:,.1f} MB）")
    return 0


def cmd_backups(args) -> int:
    if isinstance(args.db, str):
        from engine.store.server_backups import ServerBackups
        listed, usable = ServerBackups(args.db, staff=args.staff).list(), None
    else:
        from engine.store.backups import list_backups, usable_backups
        from engine.store.paths import default_db_path
        path = args.db or default_db_path()
        listed, usable = list_backups(path), {b.path for b in usable_backups(path)}
    for info in listed:
        state = "" if usable is None or info.path in usable else "（壊れています）"
        print(f"{info.created_at:%Y-%m-%d %H:%M:%S}\t{info.size_bytes / 1e6:,.1f} MB\t"
              f"{info.reason}{state}\t{info.path.name}")
    return 0


def _restore_on_server(args) -> int:
    from engine.store import postgres
    from engine.store.server_backups import ServerBackups
    backups = ServerBackups(args.db, staff=args.staff)
    where = postgres.describe(args.db)
    if args.backup is not None:
        backup = args.backup
    else:
        latest = backups.latest()
        if latest is None:
            raise OtokuiError(f"{where}: このパソコンに復元できるバックアップがありません"
                              f"（{backups.folder}）。")
        backup = latest.path
    if not args.yes:
        raise OtokuiError(f"{where} を {backup.name} の内容に戻します（それ以降の変更は、ほかのパソコンで"
                          "入力したものも含めて失われます）。実行するには --yes を付けてください。")
    with _terminal_progress() as progress:
        backups.restore(backup, progress=progress)
    print(f"{backup.name} から復元しました（復元前の状態もバックアップしています）。")
    return 0


def cmd_restore(args) -> int:
    if isinstance(args.db, str):
        return _restore_on_server(args)
    from engine.errors import DatabaseCorruptError
    from engine.store.backups import replace_database, usable_backups
    from engine.store.paths import default_db_path
    path = args.db or default_db_path()
    if args.backup is not None:
        backup = args.backup
    else:
        usable = usable_backups(path)
        if not usable:
            raise OtokuiError(f"{path.name}: 復元できるバックアップがありません。")
        backup = usable[0].path
    if not args.yes:
        raise OtokuiError(f"{path.name} を {backup.name} の内容に戻します（それ以降の変更は失われます）。"
                          "実行するには --yes を付けてください。")
    try:
        shop = engine.Shop(path, single_instance=True, staff=args.staff)
    except DatabaseCorruptError:
        aside = replace_database(path, backup)
        print(f"{backup.name} から復元しました（開けなかったファイルは {aside.name} として残しています）。")
        return 0
    with shop:
        shop.backups.restore(backup)
    print(f"{backup.name} から復元しました（復元前の状態もバックアップしています）。")
    return 0


def cmd_migrate(args) -> int:
    from engine.store import postgres
    from engine.store.transfer import label, migrate
    if args.save_password:
        import getpass
        for url in (args.source, args.target):
            if postgres.is_url(url):
                postgres.store_password(url, getpass.getpass(f"{postgres.describe(url)} のパスワード: "))
    with _terminal_progress() as progress:
        result = migrate(args.source, args.target, progress=progress)
    print(result.summary(label(args.source), label(args.target)))
    return 0


@contextlib.contextmanager
def _terminal_progress():
    """A progress callback writing one updating line to a terminal (None when the
    errors go to a file or a pipe)."""
    if not sys.stderr.isatty():
        yield None
        return

    def progress(fraction: float, message: str) -> None:
        print(f"\r{fraction:4.0%} {message}\033[K", end="", file=sys.stderr, flush=True)
    try:
        yield progress
    finally:
        print(file=sys.stderr)


def cmd_barcode(args) -> int:
    from engine.printing.barcode import encode
    print(" ".join(encode(args.postal, " ".join(args.address))))
    return 0


def cmd_labels(args) -> int:
    from gui.widgets.print_render import ensure_app, write_pdf
    with _open(args) as shop:
        selection = shop.printing.targets(clusters=args.cluster, due=args.due,
                                          followup_month=args.followups,
                                          customer_ids=args.ids, as_of=args.as_of)
        if selection.targets.empty:
            raise OtokuiError(f"宛名ラベルを印刷するお客様がいません（{selection.summary()}）。")
        pages = shop.printing.label_pages(selection.targets, args.layout, args.start)
        ensure_app()
        count = write_pdf(pages, args.out, "宛名ラベル")
        print(f"{selection.summary()}。{count}ページを {args.out} に保存しました。")
        if args.list:
            shop.printing.export_target_list(selection.targets, args.list)
            print(f"対象者リストを {args.list} に保存しました。")
        if args.record:
            logged = shop.printing.record_dm(selection, followup_month=args.followups)
            print(f"{logged}名の接触履歴にDM送付を記録しました。")
    return 0


def cmd_inserts(args) -> int:
    from gui.widgets.print_render import ensure_app, write_pdf
    with _open(args) as shop:
        plan = shop.printing.insert_plan(args.orders)
        pages = shop.printing.insert_pages(plan)
        ensure_app()
        count = write_pdf(pages, args.out, "同梱物リスト")
        print(f"{len(plan)}件の注文の同梱物リスト（{count}ページ）を {args.out} に保存しました。")
        if args.record:
            print(f"{shop.printing.record_inserts(plan)}件の接触履歴に同梱物を記録しました。")
    return 0


def _write_table(table, out: Path | None) -> None:
    from engine.export import write_table
    write_table(table, out, sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="otokui", description="Otokui（お得意様）— 通販ショップのための顧客管理")
    parser.add_argument("--version", action="version", version=f"Otokui {engine.__version__}")
    parser.add_argument("--staff", default=None, metavar="NAME",
                        help="作業する人の名前（接触履歴・消し込み・メモ・取込履歴に記録。"
                             "既定: このパソコンのユーザー名とコンピューター名）")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import", help="注文データを取り込む")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--format", default=None, help="形式名（rakuten, amazon, …）。省略時は自動判定")
    group.add_argument("--mapping", type=Path, default=None, help="列の対応付けファイル（JSON）")
    _add_db(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("formats", help="取込形式の一覧、保存した列の対応付けの書き出し・読み込み")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = actions.add_parser("list", help="取り込める形式と保存した対応付けの一覧")
    _add_db(q)
    q = actions.add_parser("export", help="保存した対応付けをファイルに書き出す（ほかのPCで読み込めます）")
    q.add_argument("name", metavar="NAME", help="対応付けの名前（formats list の1列目、例: user_1）")
    q.add_argument("file", type=Path, metavar="FILE", help="書き出すファイル（.json）")
    _add_db(q)
    q = actions.add_parser("import", help="書き出した対応付けのファイルを読み込んで保存する")
    q.add_argument("file", type=Path, metavar="FILE", help="対応付けファイル（.json）")
    _add_db(q)
    p.set_defaults(func=cmd_formats)

    p = sub.add_parser("customers", help="顧客一覧を出力する")
    _add_as_of_and_out(p)
    _add_db(p)
    p.set_defaults(func=cmd_customers)

    p = sub.add_parser("segments", help="クラスター別の顧客数・売上・売上構成比を出力する")
    _add_as_of_and_out(p)
    _add_db(p)
    p.set_defaults(func=cmd_segments)

    p = sub.add_parser("products", help="商品と消費サイクルの一覧・取り込み、買い替え時期の顧客を出力する")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--import", dest="import_file", type=Path, default=None, metavar="FILE",
                       help="商品リスト（CSV / .xlsx: 商品コード, 商品名, 消費サイクル(日)）を取り込む")
    group.add_argument("--due", action="store_true",
                       help="消費サイクルを過ぎた顧客（due / overdue）を出力する")
    group.add_argument("--suggest-cycles", action="store_true",
                       help="注文データから求めた商品ごとの購入サイクル（再購入した顧客の間隔の中央値）を"
                            "いまの消費サイクルと並べて出力する")
    group.add_argument("--next", action="store_true",
                       help="商品ごとに、同じ顧客が次の注文で買った商品（顧客数・支持度・リフト）を出力する")
    _add_as_of_and_out(p)
    _add_db(p)
    p.set_defaults(func=cmd_products)

    p = sub.add_parser("followups", help="その月のフォロータスク（3-3-2ルール）を作成して出力する")
    p.add_argument("--month", required=True, help="対象月 YYYY-MM（未作成なら作成、作成済みなら一覧）")
    _add_as_of_and_out(p, "基準日 YYYY-MM-DD（既定: 今日が対象月内なら今日、それ以外は対象月の1日）")
    _add_db(p)
    p.set_defaults(func=cmd_followups)

    p.add_argument("--left-out", action="store_true",
                   help="作成済みの計画から外れたタスクと、その理由を出力する")
    p.add_argument("--holdout", type=float, default=None, metavar="SHARE",
                   help="計画を初めて作るとき、比較用にお休みする顧客の割合（既定: 設定の値、"
                        "はじめは 0.1。0 でなし）")

    p = sub.add_parser("holdouts", help="その月の計画で比較用にお休みした顧客を出力する")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="フォロー計画の月")
    p.add_argument("--out", type=Path, default=None, help="出力ファイル（.csv / .xlsx）。省略時は標準出力")
    _add_db(p)
    p.set_defaults(func=cmd_holdouts)

    p = sub.add_parser("effects", help="フォロー計画の効果（お休みした顧客との比較）を出力する")
    p.add_argument("--month", nargs="+", metavar="YYYY-MM",
                   help="フォロー計画の月（複数なら合算）")
    p.add_argument("--inserts", action="store_true",
                   help="回数フォローの同梱物A/Bを比べる（同梱後の再購入率）")
    p.add_argument("--window", type=int, default=None, metavar="DAYS",
                   help="何日以内の購入を数えるか（既定: 計画は月初から60、同梱物は同梱から90）")
    _add_as_of_and_out(p, "基準日 YYYY-MM-DD（この日までの注文を数える。既定: 今日）")
    _add_db(p)
    p.set_defaults(func=cmd_effects)

    p = sub.add_parser("worklist", help="今日の仕事: 期日が来た未完了のフォロータスクを出力する")
    p.add_argument("--until", default=None, help="この日までが期日のタスク YYYY-MM-DD（既定: 今日）")
    p.add_argument("--medium", nargs="+", choices=["phone", "dm", "email", "insert"],
                   metavar="MEDIUM", help="手段で絞る（phone dm email insert）")
    p.add_argument("--cluster", nargs="+", metavar="NAME", help="クラスターで絞る")
    p.add_argument("--rule", default=None, metavar="ACTION",
                   help="フォロールールの内容で絞る（代わりの手段になったタスクも含む）")
    p.add_argument("--out", type=Path, default=None, help="出力ファイル（.csv / .xlsx）。省略時は標準出力")
    _add_db(p)
    p.set_defaults(func=cmd_worklist)

    p = sub.add_parser("consent", help="お客様の同意（メール・DM・電話）を記録する")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = actions.add_parser("set", help="1人のお客様の同意を記録する")
    q.add_argument("--customer", type=int, required=True, metavar="ID", help="顧客番号")
    for channel, label in (("email", "メール"), ("dm", "DM"), ("phone", "電話")):
        q.add_argument(f"--{channel}", choices=["yes", "no", "unknown"], default=None,
                       help=f"{label}の同意（yes / no / unknown）")
    q.add_argument("--source", default=None, help="どこで確かめたか（既定: 手入力）")
    _add_db(q)
    q = actions.add_parser("import", help="メール同意のリスト（CSV / .xlsx: email と consent の列）を取り込む")
    q.add_argument("file", type=Path, metavar="FILE")
    q.add_argument("--source", default=None, help="記録する出どころ（既定: リスト取込: ファイル名）")
    _add_db(q)
    p.set_defaults(func=cmd_consent)

    p = sub.add_parser("mail", help="フォローメールの設定・送信・配信リスト")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = actions.add_parser("setup", help="送信に使うメールサーバーと送信者の表示を設定する")
    q.add_argument("--host", default=None, help="送信サーバー（SMTP）")
    q.add_argument("--port", type=int, default=None, help="ポート番号（既定: 587）")
    q.add_argument("--security", choices=["starttls", "ssl", "none"], default=None,
                   help="暗号化（既定: starttls）")
    q.add_argument("--user", default=None, help="ログインのユーザー名（パスワードは資格情報に保存）")
    q.add_argument("--from", dest="from_address", default=None, help="差出人のメールアドレス")
    q.add_argument("--sender-name", default=None, help="送信者名（店名）")
    q.add_argument("--sender-address", default=None, help="送信者の住所")
    q.add_argument("--contact", default=None, help="お問い合わせ先（電話番号など）")
    q.add_argument("--unsubscribe", default=None, help="配信停止を受け付けるアドレス（既定: 差出人）")
    q.add_argument("--per-minute", type=int, default=None, help="1分あたりの送信数の上限（既定: 20）")
    _add_db(q)
    q = actions.add_parser("send", help="その月の計画の、期日が来たメールを送る")
    q.add_argument("--month", required=True, metavar="YYYY-MM", help="フォロー計画の月")
    q.add_argument("--until", default=None, help="この日までが期日のメール YYYY-MM-DD（既定: 今日）")
    q.add_argument("--dry-run", action="store_true", help="送らずに、送る相手と送らない理由を表示する")
    _add_db(q)
    q = actions.add_parser("test", help="テストメールを店のアドレスに送る")
    q.add_argument("--rule", default=None, help="文面を使う施策（フォロールールの内容）。省略時は共通の文面")
    q.add_argument("--to", default=None, help="送り先（既定: 差出人のアドレス）")
    _add_db(q)
    q = actions.add_parser("export", help="メール配信サービス用のリスト（同意のあるお客様だけ）を保存する")
    q.add_argument("--month", required=True, metavar="YYYY-MM", help="フォロー計画の月")
    q.add_argument("--until", default=None, help="この日までが期日のメール YYYY-MM-DD（既定: 今日）")
    q.add_argument("--out", type=Path, required=True, help="出力ファイル（.csv / .xlsx）")
    _add_db(q)
    p.set_defaults(func=cmd_mail)

    p = sub.add_parser("kpi", help="KPI（顧客数・リピート率・F2転換率など）と月別の新規/リピート売上を表示する")
    p.add_argument("--as-of", default=None, help="基準日 YYYY-MM-DD（既定: 今日）")
    p.add_argument("--months", type=int, default=12, help="月別売上を表示する月数（既定: 12）")
    _add_db(p)
    p.set_defaults(func=cmd_kpi)

    p = sub.add_parser("decompose", help="月別売上を 購入者数×購入頻度×客単価 に分解し前年と比べる")
    p.add_argument("--from", dest="from_month", required=True, metavar="YYYY-MM", help="最初の月")
    p.add_argument("--to", dest="to_month", required=True, metavar="YYYY-MM", help="最後の月")
    p.add_argument("--as-of", default=None,
                   help="基準日 YYYY-MM-DD（既定: 今日）。終わっていない月は「集計中」とし前年比を出さない")
    p.add_argument("--out", type=Path, default=None, help="出力ファイル（.csv / .xlsx）。省略時は標準出力")
    _add_db(p)
    p.set_defaults(func=cmd_decompose)

    p = sub.add_parser("labels", help="DM用の宛名ラベル（カスタマバーコード付き）をPDFに出力する")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--cluster", nargs="+", metavar="NAME",
                       help="クラスター（top1 top10 top20 once twice_thrice repeat4plus）")
    group.add_argument("--due", action="store_true", help="購入サイクルで買い替え時期・時期超過の顧客")
    group.add_argument("--followups", metavar="YYYY-MM", help="その月の未完了のDMフォロー")
    group.add_argument("--ids", nargs="+", type=int, metavar="ID", help="顧客番号を指定")
    p.add_argument("--layout", default="a4-12",
                   help="ラベル用紙（a4-12, a4-10, a4-21, a4-24 または登録した用紙のID）")
    p.add_argument("--start", type=int, default=1, help="1枚目で最初に使うラベルの位置（1〜）")
    p.add_argument("--as-of", default=None, help="基準日 YYYY-MM-DD（既定: 今日）")
    p.add_argument("--out", type=Path, required=True, help="出力するPDFファイル")
    p.add_argument("--list", type=Path, default=None, help="対象者リストも保存する（.xlsx / .csv）")
    p.add_argument("--record", action="store_true",
                   help="発送したDMとして接触履歴に記録する（PDFを作っただけでは記録しません）")
    _add_db(p)
    p.set_defaults(func=cmd_labels)

    p = sub.add_parser("inserts", help="新しい注文の同梱物リストをPDFに出力する")
    p.add_argument("--orders", nargs="+", type=Path, required=True, metavar="FILE",
                   help="新しい注文の受注ファイル（取り込まれます）")
    p.add_argument("--out", type=Path, required=True, help="出力するPDFファイル")
    p.add_argument("--record", action="store_true",
                   help="同梱物を入れて発送したとして接触履歴に記録する（PDFだけでは記録しません）")
    _add_db(p)
    p.set_defaults(func=cmd_inserts)

    p = sub.add_parser("privacy", help="個人情報の削除（依頼による削除・保存期間を過ぎた顧客の削除）")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = actions.add_parser("delete", help="1人の顧客の個人情報を削除する（注文の数字は残す）")
    q.add_argument("customer_id", type=int, metavar="CUSTOMER_ID", help="顧客ID")
    q.add_argument("--yes", action="store_true", help="確認なしで削除する（元に戻せません）")
    _add_db(q)
    q = actions.add_parser("purge", help="N年以上購入のない顧客の個人情報を削除する")
    q.add_argument("--years", type=int, required=True, help="保存期間（年）")
    q.add_argument("--as-of", default=None, help="基準日 YYYY-MM-DD（既定: 今日）")
    q.add_argument("--yes", action="store_true", help="確認なしで削除する（元に戻せません）")
    _add_db(q)
    p.set_defaults(func=cmd_privacy)

    p = sub.add_parser("backup", help="いまの状態をバックアップする（PostgreSQLサーバーのお店はこのパソコンに保存）")
    _add_db(p)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("backups", help="バックアップの一覧（新しい順）を表示する")
    _add_db(p)
    p.set_defaults(func=cmd_backups)

    p = sub.add_parser("restore", help="バックアップから復元する（データベースが開けないときも）")
    p.add_argument("backup", nargs="?", type=Path, default=None, metavar="BACKUP",
                   help="バックアップファイル（省略時は壊れていない最新のもの）")
    p.add_argument("--yes", action="store_true", help="確認なしで復元する")
    _add_db(p)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser(
        "migrate", help="お店のデータを別の保存先へ移す（SQLiteファイル ⇔ PostgreSQLサーバー）",
        description="すべての表を空の移行先へ写し、行数とお客様ごとの購入回数・購入金額・"
                    "初回/最終購入日が一致することを確かめます。移行元は変更しません。"
                    "（アプリ本体はまだSQLiteファイルで動きます。）")
    p.add_argument("--from", dest="source", required=True, metavar="SOURCE",
                   help="移行元: データベースファイル、または postgresql://ユーザー@サーバー:ポート/データベース")
    p.add_argument("--to", dest="target", required=True, metavar="TARGET",
                   help="移行先（空であること）: まだないファイル名、または空のPostgreSQLデータベースのURL")
    p.add_argument("--save-password", action="store_true",
                   help="サーバーのパスワードを尋ね、このPCの資格情報に保存してから移す（次回からURLに書かずに済みます）")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("barcode", help="カスタマバーコードの記号列を表示する")
    p.add_argument("postal", metavar="POSTAL", help="郵便番号（例: 100-0013）")
    # Unquoted addresses arrive split at spaces; a space is a separator to the rules anyway.
    p.add_argument("address", nargs="*", metavar="ADDRESS",
                   help="住所（省略時は住所表示番号なしでCC4を補充）")
    p.set_defaults(func=cmd_barcode)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        from gui.app import run
        return run()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except OtokuiError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError, MemoryError, sqlite3.Error) as exc:
        # A full disk, a read-only or locked file, no memory: said in plain words.
        friendly = storage_error(exc, getattr(args, "db", None))
        print(f"エラー: {friendly or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    import multiprocessing
    multiprocessing.freeze_support()  # see packaging/launcher.py
    sys.exit(main())
