"""Sending the worklist's e-mail tasks: the engine sends one plan month at a time,
the worklist spans the running plans (up to three months). These run on the
engine thread (through ``ctx.run``)."""
from __future__ import annotations

from datetime import date

from engine.marketing.mail import SendReport

MAIL_MENU = "「ファイル」→「メールの設定…」"


def by_month(tasks: list[dict]) -> dict[str, list[int]]:
    """Task ids per plan month, oldest month first."""
    months: dict[str, list[int]] = {}
    for task in sorted(tasks, key=lambda t: t["month"]):
        months.setdefault(task["month"], []).append(int(task["task_id"]))
    return months


def missing_settings(shop) -> list[str]:
    """What the mail settings still lack, in words ([] when e-mail can go)."""
    return shop.mail.settings().missing()


def send_tasks(shop, months: dict[str, list[int]], until: date, dry_run: bool,
               progress=None, cancel=None) -> SendReport:
    """``shop.mail.send`` for each month's tasks, as one report; cancel stops
    between two messages (the engine's own check) and between months."""
    total = SendReport(dry_run=dry_run)
    count = max(len(months), 1)
    for number, (month, ids) in enumerate(months.items()):
        if cancel is not None and cancel():
            total.cancelled = True
            break

        def part_progress(fraction: float, message: str, number=number) -> None:
            if progress is not None:
                progress((number + fraction) / count, message)
        part = shop.mail.send(month, until, dry_run=dry_run, task_ids=ids,
                              progress=part_progress, cancel=cancel)
        total.sent += part.sent
        total.skipped += part.skipped
        total.failed += part.failed
        if part.cancelled:
            total.cancelled = True
            break
    return total


def confirm_text(report: SendReport) -> str:
    """The question before sending, from a dry run."""
    lines = [f"メールを {len(report.sent):,}通 送ります。"]
    if report.skipped:
        lines.append(f"送らないもの {len(report.skipped):,}件:")
        lines += [f"　・{reason}: {n:,}件" for reason, n in report.reasons().items()]
    lines.append("")
    lines.append("送信できたタスクは自動で完了になります。同じお客様に二重に送ることはありません。")
    return "\n".join(lines)


def result_text(report: SendReport) -> str:
    """What a send did, in words, with the first failures named."""
    lines = [report.summary() + "。"]
    if report.failed:
        lines.append("")
        lines.append("送れなかったもの（一覧に残ります。アドレスを確かめてください）:")
        for row in report.failed[:10]:
            lines.append(f"　・{row['name'] or '氏名なし'}（{row['email']}）: {row['error']}")
        if len(report.failed) > 10:
            lines.append(f"　ほか {len(report.failed) - 10:,}件")
    return "\n".join(lines)
