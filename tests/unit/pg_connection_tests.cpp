// The PostgreSQL plumbing of the central inventory: which --db values name a server, passwords kept out of
// messages, SQLite's parameters rewritten as PostgreSQL's, and statements run against a private test cluster.
#include <catch2/catch.hpp>
#include <random>

#include "inventory/pg_connection.hpp"
#include "tests/unit/pg_test_cluster.hpp"

using namespace certfleet;
using namespace certfleet::inventory;
using certfleet::testing::test_cluster;

TEST_CASE("pg: a --db value names a PostgreSQL server only as a URI or a libpq keyword string", "[pg]") {
    CHECK(pg::is_connection_string("postgresql://scanner@db.internal/certfleet"));
    CHECK(pg::is_connection_string("postgres://db/certfleet?sslmode=verify-full"));
    CHECK(pg::is_connection_string("host=/run/postgresql dbname=certfleet"));
    CHECK(pg::is_connection_string("service=certfleet"));
    CHECK(pg::is_connection_string("  dbname = certfleet"));
    CHECK_FALSE(pg::is_connection_string("certfleet.db"));
    CHECK_FALSE(pg::is_connection_string("/var/lib/certfleet/inventory.db"));
    CHECK_FALSE(pg::is_connection_string("a=b.db"));  // not a libpq keyword: a file with '=' in its name
    CHECK_FALSE(pg::is_connection_string("./host=x.db"));
}

TEST_CASE("pg: passwords never reach a message", "[pg]") {
    CHECK(pg::redacted("postgresql://scanner:s3cret@db.internal:5432/certfleet") ==
          "postgresql://scanner:***@db.internal:5432/certfleet");
    CHECK(pg::redacted("postgresql://db/certfleet?user=a&password=s3cret&sslmode=require") ==
          "postgresql://db/certfleet?user=a&password=***&sslmode=require");
    CHECK(pg::redacted("host=db user=scanner password=s3cret dbname=certfleet") ==
          "host=db user=scanner password=*** dbname=certfleet");
    CHECK(pg::redacted("host=db password = 'a \\' secret' dbname=x") == "host=db password = *** dbname=x");
    CHECK(pg::redacted("postgresql://scanner@db/certfleet") == "postgresql://scanner@db/certfleet");
    CHECK(pg::redacted("host=db passfile=/etc/certfleet/pgpass") == "host=db passfile=/etc/certfleet/pgpass");
}

TEST_CASE("pg: SQLite's parameters become PostgreSQL's, numbered as SQLite numbers them", "[pg]") {
    const auto positional = pg::with_numbered_parameters("SELECT ?, ?, ?5, ?");
    CHECK(positional.sql == "SELECT $1, $2, $5, $6");
    CHECK(positional.names.size() == 6);
    const auto named = pg::with_numbered_parameters(
        "SELECT x::bigint FROM t WHERE a = :scan AND b = ?1 AND c = :host AND d = :scan -- :not ?\n"
        "AND e = '?:x''s' AND \"col?\" = /* ?4 */ @label");
    CHECK(named.sql == "SELECT x::bigint FROM t WHERE a = $1 AND b = $1 AND c = $2 AND d = $1 -- :not ?\n"
                       "AND e = '?:x''s' AND \"col?\" = /* ?4 */ $3");
    CHECK(named.names == std::vector<std::string>{":scan", ":host", "@label"});
    CHECK(pg::with_numbered_parameters("SELECT json_extract(p, '$.host')").sql == "SELECT json_extract(p, '$.host')");
}

TEST_CASE("pg: statements bind, step and reset as SQLite's do, against a private cluster", "[pg][server]") {
    auto& server = test_cluster();
    pg::Connection db(server.create_database("statements"), std::chrono::seconds(10));
    CHECK(db.server_version() >= 150000);
    db.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, data BYTEA)");

    Statement insert(db, "INSERT INTO t (id, name, data) VALUES (?, :name, ?3) ON CONFLICT (id) DO NOTHING");
    const Bytes bytes{0x00, 0xff, 0x5c, 0x27};
    insert.bind(1, std::int64_t{1}).bind(":name", std::string("o'brien")).bind_blob(3, bytes).run();
    CHECK(insert.changes() == 1);
    insert.bind(1, std::int64_t{2}).bind(":name", std::optional<std::string>()).bind_blob(3, Bytes{}).run();
    insert.bind(1, std::int64_t{2}).bind(":name", std::string("again")).bind_blob(3, Bytes{}).run();
    CHECK(insert.changes() == 0);

    Statement select(db, "SELECT id, name, data, id > 1 FROM t WHERE id >= :from ORDER BY id");
    select.bind(":from", std::int64_t{1}).bind(":unused", std::int64_t{7});
    REQUIRE(select.step());
    CHECK(select.integer(0) == 1);
    CHECK(select.text(1) == "o'brien");
    CHECK(select.blob(2) == bytes);
    CHECK(select.integer(3) == 0);
    REQUIRE(select.step());
    CHECK(select.is_null(1));
    CHECK(select.text(1).empty());
    CHECK(select.integer(3) == 1);
    CHECK_FALSE(select.step());
    // Reset: run again with new bindings.
    select.bind(":from", std::int64_t{2});
    REQUIRE(select.step());
    CHECK(select.integer(0) == 2);
    select.reset();

    CHECK(db.value("SELECT count(*) FROM t") == "2");
    CHECK_FALSE(db.value("SELECT name FROM t WHERE id = 2"));
}

TEST_CASE("pg: copy_rows appends any text exactly and says when a row is there already", "[pg][server]") {
    auto& server = test_cluster();
    pg::Connection db(server.create_database("copies"), std::chrono::seconds(10));
    db.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT COLLATE \"C\", note TEXT)");
    REQUIRE(db.row_copier() == &db);

    // COPY's separators and escape, NULL's marker spelled as text, and bytes that are not UTF-8.
    const std::vector<std::string> names{"tab\there", "line\nbreak\r", "back\\slash\\N", "\\N", "latin-\xe9.pem", ""};
    std::vector<SqlValue> rows;
    for (std::size_t i = 0; i < names.size(); ++i) {
        rows.emplace_back(static_cast<std::int64_t>(i));
        rows.emplace_back(names[i]);
        rows.emplace_back(i == 0 ? SqlValue(std::nullopt) : SqlValue(std::string("note")));
    }
    db.exec("BEGIN");
    REQUIRE(db.copy_rows("t", "(id, name, note)", rows, 3));
    db.exec("COMMIT");
    Statement select(db, "SELECT name, note IS NULL FROM t ORDER BY id");
    for (std::size_t i = 0; i < names.size(); ++i) {
        REQUIRE(select.step());
        CHECK(select.text(0) == names[i]);
        CHECK(select.integer(1) == (i == 0 ? 1 : 0));
    }
    CHECK_FALSE(select.step());

    // A row whose key is stored: nothing of the copy is kept, and the transaction is failed until rolled back.
    db.exec("BEGIN");
    CHECK_FALSE(db.copy_rows("t", "(id, name, note)", {std::int64_t{100}, std::string("new"), std::nullopt,
                                                       std::int64_t{1}, std::string("again"), std::nullopt},
                             3));
    CHECK(db.transaction_failed());
    db.exec("ROLLBACK");
    CHECK(db.value("SELECT count(*) FROM t") == std::to_string(names.size()));
    CHECK_THROWS_AS(db.copy_rows("no_such_table", "(id)", {std::int64_t{1}}, 1), pg::Error);
}

TEST_CASE("pg: failures carry their SQLSTATE and name the server without its password", "[pg][server]") {
    auto& server = test_cluster();
    pg::Connection db(server.create_database("failures"), std::chrono::seconds(10));
    try {
        db.exec("SELECT * FROM no_such_table");
        FAIL("a missing table is an error");
    } catch (const pg::Error& e) {
        CHECK(e.sqlstate() == "42P01");
        CHECK_FALSE(e.retryable());
        CHECK_FALSE(e.connection_lost());
        CHECK(std::string(e.what()).find("no_such_table") != std::string::npos);
    }
    try {
        pg::Connection nobody("host=" + server.socket_dir() + " user=postgres password=hunter2 dbname=no_such_database",
                              std::chrono::seconds(5));
        FAIL("a missing database is an error");
    } catch (const pg::Error& e) {
        const std::string message = e.what();
        CHECK(message.find("cannot connect to the PostgreSQL inventory at") != std::string::npos);
        CHECK(message.find("no_such_database") != std::string::npos);
        CHECK(message.find("hunter2") == std::string::npos);
        CHECK(e.connection_lost());
    }
    // The server going away mid-session is a lost connection, not a query error.
    pg::Connection victim(server.connection_string("failures"), std::chrono::seconds(10));
    const std::string pid = victim.value("SELECT pg_backend_pid()").value();
    db.exec("SELECT pg_terminate_backend(" + pid + ")");
    try {
        victim.exec("SELECT 1");
        FAIL("a terminated session cannot run a query");
    } catch (const pg::Error& e) {
        CHECK(e.connection_lost());
    }
}

TEST_CASE("pg text: every byte string goes to the server as UTF-8 and comes back exactly", "[pg]") {
    CHECK(pg::to_server_text("plain/ascii.pem") == "plain/ascii.pem");
    CHECK(pg::to_server_text("caf\xc3\xa9.pem") == "caf\xc3\xa9.pem");  // UTF-8 stays itself
    CHECK(pg::to_server_text("latin-\xe9.pem") == "latin-\xf4\x8f\xbf\xa9.pem");
    const std::vector<std::string> samples = {
        "", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe2\x82", "\xf4\x8f\xbf\xa9",
        std::string("nul\0inside", 10), "\xf4\x8f\xbc\x80\xc3", "\xe2\x82\xac\x80\x80",
    };
    for (const auto& raw : samples) {
        INFO(raw);
        const std::string sent = pg::to_server_text(raw);
        CHECK(pg::from_server_text(sent) == raw);
        CHECK(pg::to_server_text(pg::from_server_text(sent)) == sent);
    }
    std::minstd_rand random(7);
    for (int n = 0; n < 2000; ++n) {
        std::string raw(static_cast<std::size_t>(random() % 12), '\0');
        for (auto& c : raw) c = static_cast<char>(random() % 256);
        CHECK(pg::from_server_text(pg::to_server_text(raw)) == raw);
    }
}
