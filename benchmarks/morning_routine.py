"""The morning routine on a shop of about 1,500 customers, timed step by step.

    python benchmarks/morning_routine.py [--lines 4300] [--seed 7]

Builds the shop from a generated 楽天 export (benchmarks/generate.py), gives 60 %
of the customers an address of their own (as if they had also bought on the
shop's own cart) and e-mail consent to two in three of those, creates this
month's plan with the shop's weekly capacity (20 calls, 60 DMs) and a comparison
group, then does what the owner does each morning from 今日の仕事: load the list,
check off the calls made, print and record the DM labels, send the e-mail to a
local SMTP server (aiosmtpd), and build the insert list. Prints each step's time.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.generate import generate  # noqa: E402
from engine import Shop  # noqa: E402
from engine.dates import month_of  # noqa: E402
from engine.marketing.worklist import summary, summary_text  # noqa: E402


def timed(label: str, call):
    start = time.perf_counter()
    result = call()
    print(f"{label:<34}{time.perf_counter() - start:8.3f} s", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=4300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from tests.support.smtp import Server
    today = date.today()
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "rakuten.csv"
        generate(export, args.lines, args.seed)
        shop = Shop(Path(folder) / "shop.db")
        timed("import", lambda: shop.imports.import_file(export))
        # The generator's history ends a few years back: move it to end last month.
        from engine.app.demo import shift_to_recent_months
        shift_to_recent_months(shop, today)
        with shop.db.transaction() as conn:
            conn.execute("UPDATE customers SET email = 'c' || id || '@example.jp' WHERE id % 5 < 3")
            conn.execute("INSERT INTO consents (customer_id, channel, value, recorded_on, source,"
                         " created_at) SELECT id, 'email', 'yes', '2020-01-01', 'bench', '' "
                         "FROM customers WHERE id % 5 < 2")
        print(f"customers {shop.db.scalar('SELECT count(*) FROM customers'):,}")
        shop.followups.set_capacity(phone=20, dm=60)
        month = month_of(today)
        change = timed("plan the month", lambda: shop.followups.generate(
            month, today, holdout_share=0.1))
        print(f"  tasks {change.counts['created']:,}, left out {change.counts['left_out']:,},"
              f" held out {change.counts['held_out']:,}")
        work = timed("今日の仕事 (worklist)", lambda: shop.followups.worklist(today))
        print("  " + summary_text(summary(work)))
        calls = work.loc[work["medium"] == "phone", "task_id"]
        timed(f"check off {len(calls)} calls", lambda: shop.followups.check_off_many(
            calls, today, result="お話しできた"))
        labels = timed("DM labels of the plan", lambda: shop.printing.targets(
            followup_month=month))
        print(f"  {labels.summary()}")
        dms = work.loc[work["medium"] == "dm", "task_id"]
        timed(f"record {len(dms)} DMs as sent", lambda: shop.followups.check_off_many(
            dms, today, result="DM発送"))
        with Server() as server:
            shop.mail.setup(host="127.0.0.1", port=server.port, security="none",
                            from_address="shop@example.jp", sender_name="ベンチ商店",
                            sender_address="東京都千代田区1-1", contact="03-0000-0000",
                            per_minute=6000)
            dry = timed("mail: dry run", lambda: shop.mail.send(month, today, dry_run=True))
            print(f"  {dry.summary()}")
            sent = timed("mail: send", lambda: shop.mail.send(month, today))
            print(f"  {sent.summary()}  received {len(server.received)}")
        left = shop.followups.worklist(today)
        print(f"left for today: {summary_text(summary(left))}")
        shop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
