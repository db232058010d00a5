"""``otokui migrate``: a shop moved to PostgreSQL and back from the command line."""
import re
import sqlite3

import psycopg

import main
from engine.store import postgres
from tests.support.survey_shop import build_shop


def run(capsys, *argv):
    code = main.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_migrate_to_postgresql_and_back_to_a_file(capsys, postgres_url, tmp_path):
    source = tmp_path / "otokui.db"
    build_shop(source).close()
    code, out, err = run(capsys, "migrate", "--from", source, "--to", postgres_url)
    assert (code, err) == (0, "")
    # 12 customers, 21 orders and the operations journal of nothing: 33 rows; the
    # summary tables: 10 buying customers, 10 months, 10 customer-months.
    assert re.fullmatch(
        rf"otokui\.db から {re.escape(postgres.describe(postgres_url))} へ移しました"
        r"（37表・63行、[\d.]+秒）。行数と、お客様ごとの購入回数・購入金額・初回/最終購入日が"
        r"移行元と一致することを確認しました。\n", out)
    copy = tmp_path / "copy.db"
    code, out, err = run(capsys, "migrate", "--from", postgres_url, "--to", copy)
    assert (code, err) == (0, "")
    assert out.startswith(f"{postgres.describe(postgres_url)} から copy.db へ移しました（37表・63行、")
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT sum(amount) FROM orders WHERE status = 'valid'").fetchone()[0] == \
        100000 + 50000 + 9000 + 8000 + 7000 + 6000 + 5000 + 4000 + 3000 + 2000
    conn.close()
    # The same target again is not empty any more: refused, exit code 1.
    code, out, err = run(capsys, "migrate", "--from", source, "--to", postgres_url)
    assert (code, out) == (1, "")
    assert err.startswith(f"エラー: 移行先のデータベース {postgres.describe(postgres_url)} は空ではありません")


def test_migrate_to_a_server_that_is_down(capsys, tmp_path):
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = tmp_path / "otokui.db"
    build_shop(source).close()
    code, out, err = run(capsys, "migrate", "--from", source,
                         "--to", f"postgresql://otokui:secret@127.0.0.1:{port}/shop")
    assert (code, out) == (1, "")
    assert err.startswith(f"エラー: PostgreSQLサーバー 127.0.0.1:{port} に接続できません。")
    assert "secret" not in err


def test_save_password_keeps_it_in_the_credential_store(capsys, tmp_path, monkeypatch):
    import getpass
    import socket
    stored = {}

    class FakeKeyring:
        @staticmethod
        def set_password(service, user, password):
            stored[(service, user)] = password

        @staticmethod
        def get_password(service, user):
            return stored.get((service, user))
    monkeypatch.setattr(postgres, "_keyring", lambda: FakeKeyring)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: "pw-" + prompt)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = tmp_path / "otokui.db"
    build_shop(source).close()
    code, _, err = run(capsys, "migrate", "--save-password", "--from", source,
                       "--to", f"postgresql://shop@127.0.0.1:{port}/otokui")
    assert code == 1 and "に接続できません" in err
    assert stored == {("Otokui PostgreSQL", f"shop@127.0.0.1:{port}/otokui"):
                      f"pw-postgresql://shop@127.0.0.1:{port}/otokui のパスワード: "}


def test_backup_list_and_restore_of_a_server_shop(capsys, postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path / "home"))
    source = tmp_path / "otokui.db"
    build_shop(source).close()
    assert run(capsys, "migrate", "--from", source, "--to", postgres_url)[0] == 0
    code, out, err = run(capsys, "backup", "--db", postgres_url)
    assert (code, err) == (0, "")
    assert re.fullmatch(r"バックアップしました: .*\.otkpg（[\d.]+ MB）\n", out)
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE orders SET amount = 1 WHERE id = 1")
    code, out, err = run(capsys, "backups", "--db", postgres_url)
    assert (code, err) == (0, "") and out.count("\n") == 1 and "\t手動\t" in out
    # Without --yes: told what would be lost, nothing changed.
    code, out, err = run(capsys, "restore", "--db", postgres_url)
    assert (code, out) == (1, "")
    assert err.startswith(f"エラー: {postgres.describe(postgres_url)} を ")
    assert "ほかのパソコンで入力したものも含めて失われます" in err
    code, out, err = run(capsys, "restore", "--db", postgres_url, "--yes")
    assert (code, err) == (0, "")
    assert out.endswith("から復元しました（復元前の状態もバックアップしています）。\n")
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT amount FROM orders WHERE id = 1").fetchone()[0] == 100000
    code, out, err = run(capsys, "backups", "--db", postgres_url)
    assert out.count("\n") == 2 and "復元前の自動バックアップ" in out.splitlines()[0]
