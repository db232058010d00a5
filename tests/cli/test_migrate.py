"""``otokui migrate``: a shop moved to PostgreSQL and back from the command line."""
import re
import sqlite3

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
