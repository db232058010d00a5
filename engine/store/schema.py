"""Schema migrations. ``PRAGMA user_version`` is the number of migrations applied.

Append new migrations at the end; never edit one that has shipped.
Every table that user work changes has ``id INTEGER PRIMARY KEY AUTOINCREMENT``
so the journal (see journal.py) can undo inserts by id range.
"""

MIGRATIONS: list[str] = [
    # 1: core data model (SPEC §1)
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    CREATE TABLE operations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        label TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        undone_at TEXT
    );
    CREATE TABLE op_ranges (
        op_id INTEGER NOT NULL REFERENCES operations(id),
        tbl TEXT NOT NULL,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        PRIMARY KEY (op_id, tbl)
    ) WITHOUT ROWID;
    CREATE TABLE journal (
        op_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        tbl TEXT NOT NULL,
        row_id INTEGER NOT NULL,
        before TEXT NOT NULL,
        PRIMARY KEY (op_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX journal_row ON journal(tbl, row_id);

    CREATE TABLE customers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL DEFAULT '',
        name_key TEXT NOT NULL DEFAULT '',
        kana TEXT NOT NULL DEFAULT '',
        postal_code TEXT NOT NULL DEFAULT '',
        address1 TEXT NOT NULL DEFAULT '',
        address2 TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        phone_digits TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        info_at TEXT NOT NULL DEFAULT '',
        dm_default INTEGER NOT NULL DEFAULT 1,
        dm_manual INTEGER,
        dm_opt_out INTEGER NOT NULL DEFAULT 0,
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        deleted_at TEXT
    );
    CREATE INDEX customers_name_key ON customers(name_key);
    CREATE INDEX customers_phone ON customers(phone_digits);
    CREATE INDEX customers_email ON customers(email);

    CREATE TABLE identity_keys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        customer_id INTEGER NOT NULL REFERENCES customers(id)
    );
    CREATE INDEX identity_keys_customer ON identity_keys(customer_id);

    CREATE TABLE identity_separations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        customer_a INTEGER NOT NULL REFERENCES customers(id),
        customer_b INTEGER NOT NULL REFERENCES customers(id),
        created_at TEXT NOT NULL
    );

    CREATE TABLE customer_merges (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kept_id INTEGER NOT NULL,
        merged_id INTEGER NOT NULL,
        manual INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );

    CREATE TABLE imports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        op_id INTEGER REFERENCES operations(id),
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        source TEXT NOT NULL,
        rows_read INTEGER NOT NULL DEFAULT 0,
        orders_added INTEGER NOT NULL DEFAULT 0,
        orders_updated INTEGER NOT NULL DEFAULT 0,
        orders_unchanged INTEGER NOT NULL DEFAULT 0,
        lines INTEGER NOT NULL DEFAULT 0,
        customers_added INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        undone_at TEXT
    );

    CREATE TABLE orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        order_no TEXT NOT NULL,
        ordered_at TEXT NOT NULL,
        order_date TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('valid', 'cancelled')),
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        amount INTEGER NOT NULL,
        shipping INTEGER,
        fee INTEGER,
        points INTEGER,
        coupon INTEGER,
        member_id TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        name_key TEXT NOT NULL DEFAULT '',
        kana TEXT NOT NULL DEFAULT '',
        postal_code TEXT NOT NULL DEFAULT '',
        address1 TEXT NOT NULL DEFAULT '',
        address2 TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        phone_digits TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        digest TEXT NOT NULL,
        import_id INTEGER REFERENCES imports(id),
        UNIQUE (source, order_no)
    );
    CREATE INDEX orders_customer ON orders(customer_id, order_date);
    CREATE INDEX orders_date ON orders(order_date);

    CREATE TABLE order_lines (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        line_no INTEGER NOT NULL,
        product_code TEXT NOT NULL DEFAULT '',
        product_name TEXT NOT NULL DEFAULT '',
        unit_price INTEGER NOT NULL,
        quantity INTEGER NOT NULL,
        amount INTEGER NOT NULL
    );
    CREATE INDEX order_lines_order ON order_lines(order_id);
    CREATE INDEX order_lines_product ON order_lines(product_code);

    CREATE TABLE products (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL DEFAULT '',
        cycle_days INTEGER
    );
    """,
    # 2: surveys and customer journey maps
    """
    CREATE TABLE surveys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        target TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE TABLE survey_questions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        survey_id INTEGER NOT NULL REFERENCES surveys(id),
        position INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('choice', 'scale', 'text')),
        text TEXT NOT NULL,
        scale_min INTEGER,
        scale_max INTEGER,
        min_label TEXT NOT NULL DEFAULT '',
        max_label TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX survey_questions_survey ON survey_questions(survey_id, position);
    CREATE TABLE survey_options (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        question_id INTEGER NOT NULL REFERENCES survey_questions(id),
        position INTEGER NOT NULL,
        label TEXT NOT NULL
    );
    CREATE INDEX survey_options_question ON survey_options(question_id, position);
    CREATE TABLE survey_responses (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        survey_id INTEGER NOT NULL REFERENCES surveys(id),
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        answered_on TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (survey_id, customer_id)
    );
    CREATE INDEX survey_responses_customer ON survey_responses(customer_id);
    CREATE TABLE survey_answers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        response_id INTEGER NOT NULL REFERENCES survey_responses(id),
        question_id INTEGER NOT NULL REFERENCES survey_questions(id),
        option_id INTEGER REFERENCES survey_options(id),
        number INTEGER,
        text TEXT,
        UNIQUE (response_id, question_id)
    );
    CREATE INDEX survey_answers_question ON survey_answers(question_id);

    CREATE TABLE journey_maps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        cluster TEXT NOT NULL DEFAULT '',
        persona TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE journey_stages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        map_id INTEGER NOT NULL REFERENCES journey_maps(id),
        position INTEGER NOT NULL,
        name TEXT NOT NULL
    );
    CREATE TABLE journey_rows (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        map_id INTEGER NOT NULL REFERENCES journey_maps(id),
        position INTEGER NOT NULL,
        name TEXT NOT NULL
    );
    CREATE TABLE journey_cells (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stage_id INTEGER NOT NULL REFERENCES journey_stages(id),
        row_id INTEGER NOT NULL REFERENCES journey_rows(id),
        text TEXT NOT NULL,
        UNIQUE (stage_id, row_id)
    );
    """,
    # 3: follow-up rules and tasks (3-3-2 rule) and the contact log (touches)
    """
    CREATE TABLE followup_rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        position INTEGER NOT NULL,
        target TEXT NOT NULL,
        min_days INTEGER NOT NULL,
        max_days INTEGER,
        medium TEXT NOT NULL CHECK (medium IN ('email', 'insert', 'dm', 'phone')),
        action TEXT NOT NULL,
        offset_days INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE followup_plans (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        month TEXT NOT NULL UNIQUE,
        as_of TEXT NOT NULL,
        generated_at TEXT NOT NULL
    );
    CREATE TABLE touches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        touched_on TEXT NOT NULL,
        medium TEXT NOT NULL CHECK (medium IN ('email', 'insert', 'dm', 'phone')),
        action TEXT NOT NULL DEFAULT '',
        result TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX touches_customer ON touches(customer_id, touched_on);
    CREATE TABLE followup_tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        month TEXT NOT NULL,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        step INTEGER NOT NULL CHECK (step BETWEEN 1 AND 3),
        cluster TEXT NOT NULL,
        due_date TEXT NOT NULL,
        planned_medium TEXT NOT NULL,
        medium TEXT NOT NULL CHECK (medium IN ('email', 'insert', 'dm', 'phone')),
        action TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
        done_on TEXT,
        result TEXT NOT NULL DEFAULT '',
        touch_id INTEGER REFERENCES touches(id),
        UNIQUE (month, customer_id, step)
    );
    CREATE INDEX followup_tasks_customer ON followup_tasks(customer_id, month);
    """,
    # 4: count program (回数フォロー): the insert per purchase number
    """
    CREATE TABLE count_program_rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        purchase_number INTEGER NOT NULL UNIQUE CHECK (purchase_number >= 1),
        insert_name TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    """,
    # 5: when a customer's personal data was erased on request
    """
    ALTER TABLE customers ADD COLUMN erased_at TEXT;
    """,
    # 6: indexes behind search-as-you-type (prefixes of the whole and the
    # given name and kana, the last four phone digits) and a covering index so
    # per-customer figures are read from the index alone.
    """
    CREATE INDEX customers_kana_key ON customers(replace(kana, ' ', ''));
    CREATE INDEX customers_given_name ON customers(substr(name, instr(name, ' ') + 1))
        WHERE instr(name, ' ') > 0;
    CREATE INDEX customers_given_kana ON customers(substr(kana, instr(kana, ' ') + 1))
        WHERE instr(kana, ' ') > 0;
    CREATE INDEX customers_phone_tail ON customers(substr(phone_digits, -4));
    CREATE INDEX orders_customer_figures ON orders(customer_id, order_date, amount)
        WHERE status = 'valid';
    """,
    # 7: a digest of each order's raw cells, so a re-import skips the
    # orders it already holds unchanged without normalising them again.
    """
    ALTER TABLE orders ADD COLUMN raw_digest TEXT;
    """,
    # 8: marketing consent as an export gives it (Shopify's Accepts Marketing): the
    # order's answer (1 yes, 0 no, NULL not asked) and the customer's latest one.
    """
    ALTER TABLE orders ADD COLUMN email_consent INTEGER;
    ALTER TABLE customers ADD COLUMN email_consent INTEGER;
    """,
    # 9: one file of a download that comes as several (Yahoo's 注文 and 商品), kept
    # until its other file is imported; one per format and part.
    """
    CREATE TABLE pending_parts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        format TEXT NOT NULL,
        part TEXT NOT NULL,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        content BLOB NOT NULL,
        kept_at TEXT NOT NULL,
        UNIQUE (format, part)
    );
    """,
    # 10: carrying the plan out: the consent ledger (per customer and channel, with
    # date and source), e-mail templates per follow-up action, the log of every
    # e-mail sent (kept through undo, so a re-run never sends twice) and the
    # tasks a plan left out for the shop's weekly capacity.
    """
    CREATE TABLE consents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        channel TEXT NOT NULL CHECK (channel IN ('email', 'dm', 'phone')),
        value TEXT NOT NULL CHECK (value IN ('yes', 'no', 'unknown')),
        recorded_on TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX consents_customer ON consents(customer_id, channel, recorded_on, id);
    CREATE TABLE mail_templates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        action TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE mail_sends (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        month TEXT NOT NULL,
        customer_id INTEGER NOT NULL,
        step INTEGER NOT NULL,
        address TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
        error TEXT NOT NULL DEFAULT '',
        message_id TEXT NOT NULL DEFAULT '',
        attempted_at TEXT NOT NULL,
        -- 1 once its task was checked off: an undone check-off is not redone, and the
        -- status still keeps a second run from sending it again.
        settled INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX mail_sends_task ON mail_sends(month, customer_id, step);
    CREATE TABLE followup_left_out (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        month TEXT NOT NULL,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        step INTEGER NOT NULL,
        cluster TEXT NOT NULL,
        due_date TEXT NOT NULL,
        medium TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE INDEX followup_left_out_month ON followup_left_out(month);
    """,
    # 11: did it work? Every customer a month's plan targeted, with the rule and the
    # media it meant for them, and whether they were set aside at random as the
    # comparison group (比較用にお休み); the plan's share and seed make the split
    # reproducible. Count-program purchase numbers may have a second insert (A/B).
    """
    CREATE TABLE followup_targets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        month TEXT NOT NULL,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        cluster TEXT NOT NULL,
        rule TEXT NOT NULL,
        media TEXT NOT NULL,
        held_out INTEGER NOT NULL DEFAULT 0 CHECK (held_out IN (0, 1)),
        UNIQUE (month, customer_id)
    );
    CREATE INDEX followup_targets_customer ON followup_targets(customer_id);
    ALTER TABLE followup_plans ADD COLUMN holdout_share REAL NOT NULL DEFAULT 0;
    ALTER TABLE followup_plans ADD COLUMN seed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE count_program_rules ADD COLUMN insert_b TEXT NOT NULL DEFAULT '';
    """,
    # 12: summary tables kept current (see figures.py): per-customer figures over
    # valid orders (ranked as rfm ranks), per-month sales / orders / buyers / first
    # orders, and the customers and months a change made dirty until the
    # transaction's refresh. The triggers mark them; "*" asks for a full rebuild,
    # which the migration's own commit does.
    """
    CREATE TABLE customer_figures (
        customer_id INTEGER PRIMARY KEY,
        purchase_count INTEGER NOT NULL,
        total_amount INTEGER NOT NULL,
        first_purchase TEXT NOT NULL,
        last_purchase TEXT NOT NULL
    );
    CREATE INDEX customer_figures_rank ON customer_figures(
        total_amount DESC, purchase_count DESC, last_purchase DESC, customer_id);
    CREATE TABLE month_figures (
        month TEXT PRIMARY KEY,
        sales INTEGER NOT NULL,
        orders INTEGER NOT NULL,
        buyers INTEGER NOT NULL,
        new_sales INTEGER NOT NULL,
        new_buyers INTEGER NOT NULL
    );
    CREATE TABLE figures_dirty_customers (customer_id INTEGER PRIMARY KEY);
    CREATE TABLE figures_dirty_months (month TEXT PRIMARY KEY);
    INSERT INTO figures_dirty_months (month) VALUES ('*');
    CREATE TRIGGER figures_order_insert AFTER INSERT ON orders
    WHEN NEW.status = 'valid' BEGIN
        INSERT INTO figures_dirty_customers (customer_id) SELECT NEW.customer_id
        WHERE NOT EXISTS (SELECT 1 FROM figures_dirty_customers
                          WHERE customer_id = NEW.customer_id);
        INSERT INTO figures_dirty_months (month) SELECT substr(NEW.order_date, 1, 7)
        WHERE NOT EXISTS (SELECT 1 FROM figures_dirty_months
                          WHERE month = substr(NEW.order_date, 1, 7));
    END;
    CREATE TRIGGER figures_order_delete AFTER DELETE ON orders
    WHEN OLD.status = 'valid' BEGIN
        INSERT INTO figures_dirty_customers (customer_id) SELECT OLD.customer_id
        WHERE NOT EXISTS (SELECT 1 FROM figures_dirty_customers
                          WHERE customer_id = OLD.customer_id);
        INSERT INTO figures_dirty_months (month) SELECT substr(OLD.order_date, 1, 7)
        WHERE NOT EXISTS (SELECT 1 FROM figures_dirty_months
                          WHERE month = substr(OLD.order_date, 1, 7));
    END;
    CREATE TRIGGER figures_order_update AFTER UPDATE ON orders
    WHEN (OLD.status = 'valid' OR NEW.status = 'valid')
     AND (OLD.status IS NOT NEW.status OR OLD.amount IS NOT NEW.amount
          OR OLD.order_date IS NOT NEW.order_date OR OLD.ordered_at IS NOT NEW.ordered_at
          OR OLD.customer_id IS NOT NEW.customer_id) BEGIN
        INSERT INTO figures_dirty_customers (customer_id)
        SELECT DISTINCT value FROM json_each(json_array(OLD.customer_id, NEW.customer_id))
        WHERE value NOT IN (SELECT customer_id FROM figures_dirty_customers);
        INSERT INTO figures_dirty_months (month)
        SELECT DISTINCT substr(value, 1, 7) FROM json_each(json_array(OLD.order_date, NEW.order_date))
        WHERE substr(value, 1, 7) NOT IN (SELECT month FROM figures_dirty_months);
    END;
    CREATE TRIGGER figures_customer_deleted AFTER UPDATE OF deleted_at ON customers
    WHEN OLD.deleted_at IS NOT NEW.deleted_at BEGIN
        INSERT INTO figures_dirty_customers (customer_id) SELECT NEW.id
        WHERE NOT EXISTS (SELECT 1 FROM figures_dirty_customers WHERE customer_id = NEW.id);
        INSERT INTO figures_dirty_months (month)
        SELECT DISTINCT substr(order_date, 1, 7) FROM orders
        WHERE customer_id = NEW.id AND status = 'valid'
          AND substr(order_date, 1, 7) NOT IN (SELECT month FROM figures_dirty_months);
    END;
    CREATE TRIGGER figures_customer_removed AFTER DELETE ON customers BEGIN
        INSERT INTO figures_dirty_customers (customer_id) SELECT OLD.id
        WHERE NOT EXISTS (SELECT 1 FROM figures_dirty_customers WHERE customer_id = OLD.id);
    END;
    """,
    # 13: each customer's figures per month (sales, orders, their first order), so a
    # refresh changes month_figures by the dirty customers' difference instead of
    # recomputing every month they bought in (figures.py); filled by a rebuild.
    """
    CREATE TABLE customer_month_figures (
        customer_id INTEGER NOT NULL,
        month TEXT NOT NULL,
        sales INTEGER NOT NULL,
        orders INTEGER NOT NULL,
        new_sales INTEGER NOT NULL,
        new_buyer INTEGER NOT NULL,
        PRIMARY KEY (customer_id, month)
    );
    INSERT OR IGNORE INTO figures_dirty_months (month) VALUES ('*');
    """,
    # 14: who did it, when several desktops work on one shop: the staff member on
    # each touch, on a follow-up check-off (and when it was done), on a customer's
    # note (who last edited it, when) and on each undoable operation. Rows from
    # before stay NULL (shown blank).
    """
    ALTER TABLE touches ADD COLUMN staff TEXT;
    ALTER TABLE followup_tasks ADD COLUMN done_by TEXT;
    ALTER TABLE followup_tasks ADD COLUMN done_at TEXT;
    ALTER TABLE customers ADD COLUMN notes_by TEXT;
    ALTER TABLE customers ADD COLUMN notes_at TEXT;
    ALTER TABLE operations ADD COLUMN staff TEXT;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# The columns that hold a person's data, in customers and in the copy every order
# keeps from its export; an erasure blanks them.
PERSONAL_FIELDS: tuple[str, ...] = ("name", "name_key", "kana", "postal_code", "address1",
                                    "address2", "phone", "phone_digits", "email")
ORDER_PERSONAL_FIELDS: tuple[str, ...] = ("member_id",) + PERSONAL_FIELDS


def blank_sql(fields) -> str:
    """``a = '', b = ''`` for an UPDATE that blanks ``fields``."""
    return ", ".join(f"{f} = ''" for f in fields)

# Secondary indexes a large import drops and builds again at its end, inside its
# transaction: building an index over sorted data once is several times faster
# than inserting a million random keys one by one. Indexes the import itself
# reads through (unique keys, identity keys, orders by customer for merges) stay.
DEFERRABLE_INDEXES: tuple[str, ...] = (
    "customers_name_key",
    "customers_phone",
    "customers_email",
    "customers_kana_key",
    "customers_given_name",
    "customers_given_kana",
    "customers_phone_tail",
    "orders_date",
    "orders_customer_figures",
    "order_lines_order",
    "order_lines_product",
)

# Tables whose changes are journaled for undo (see journal.py); a migration that
# adds a table of user data appends it here.
JOURNALED_TABLES: tuple[str, ...] = (
    "customers",
    "identity_keys",
    "identity_separations",
    "customer_merges",
    "orders",
    "order_lines",
    "products",
    "surveys",
    "survey_questions",
    "survey_options",
    "survey_responses",
    "survey_answers",
    "journey_maps",
    "journey_stages",
    "journey_rows",
    "journey_cells",
    "followup_rules",
    "followup_plans",
    "touches",
    "followup_tasks",
    "count_program_rules",
    "consents",
    "mail_templates",
    "followup_left_out",
    "followup_targets",
)
