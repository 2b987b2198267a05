#include "inventory/pg_connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace certfleet::inventory::pg {

namespace {

// libpq's connection keywords (PostgreSQL 15): a keyword string starts with one of them.
constexpr std::array<const char*, 32> kKeywords{
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding", "connect_timeout",
    "client_encoding", "options", "application_name", "fallback_application_name", "keepalives", "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
    "requiressl", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslrootcert", "sslcrl", "sslcrldir",
    "sslsni", "service", "target_session_attrs"};

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string trimmed_message(const char* message) {
    std::string text = message ? message : "";
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    // libpq indents a hint on a line of its own ("\n\tIs the server running ..."): one line reads better.
    for (std::size_t at = text.find("\n\t"); at != std::string::npos; at = text.find("\n\t", at)) {
        std::size_t end = at + 1;
        while (end < text.size() && text[end] == '\t') ++end;
        text.replace(at, end - at, " ");
    }
    return text.empty() ? "unknown error" : text;
}

// The end of a keyword string's value starting at `i`: single-quoted with backslash escapes, or up to whitespace.
std::size_t value_end(const std::string& text, std::size_t i) {
    if (i < text.size() && text[i] == '\'') {
        for (++i; i < text.size() && text[i] != '\''; ++i)
            if (text[i] == '\\') ++i;
        return std::min(i + 1, text.size());
    }
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    return i;
}

}  // namespace

bool Error::connection_lost() const {
    return sqlstate_.empty() || sqlstate_.starts_with("08") || sqlstate_ == "57P01" || sqlstate_ == "57P02" ||
           sqlstate_ == "57P03";
}

bool is_connection_string(const std::string& db) {
    if (db.starts_with("postgresql://") || db.starts_with("postgres://")) return true;
    std::size_t i = 0;
    while (i < db.size() && std::isspace(static_cast<unsigned char>(db[i]))) ++i;
    std::size_t end = i;
    while (end < db.size() && is_name_char(db[end])) ++end;
    std::size_t equals = end;
    while (equals < db.size() && std::isspace(static_cast<unsigned char>(db[equals]))) ++equals;
    if (equals >= db.size() || db[equals] != '=') return false;
    const std::string keyword = db.substr(i, end - i);
    return std::any_of(kKeywords.begin(), kKeywords.end(), [&](const char* k) { return keyword == k; });
}

std::string redacted(const std::string& conninfo) {
    std::string out = conninfo;
    if (out.starts_with("postgresql://") || out.starts_with("postgres://")) {
        // postgresql://user:secret@host/db?password=secret
        const std::size_t authority = out.find("://") + 3;
        const std::size_t at = out.find('@', authority);
        const std::size_t slash = out.find('/', authority);
        if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
            const std::size_t colon = out.find(':', authority);
            if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
        }
        for (std::size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
            if (p > 0 && out[p - 1] != '?' && out[p - 1] != '&') continue;
            const std::size_t value = p + 9;
            std::size_t end = out.find('&', value);
            if (end == std::string::npos) end = out.size();
            out.replace(value, end - value, "***");
        }
        return out;
    }
    for (std::size_t p = out.find("password"); p != std::string::npos; p = out.find("password", p + 1)) {
        if (p > 0 && !std::isspace(static_cast<unsigned char>(out[p - 1]))) continue;
        std::size_t value = p + 8;
        while (value < out.size() && std::isspace(static_cast<unsigned char>(out[value]))) ++value;
        if (value >= out.size() || out[value] != '=') continue;
        ++value;
        while (value < out.size() && std::isspace(static_cast<unsigned char>(out[value]))) ++value;
        out.replace(value, value_end(out, value) - value, "***");
    }
    return out;
}

NumberedSql with_numbered_parameters(const std::string& sql) {
    NumberedSql out;
    auto& names = out.names;
    const auto use = [&](std::size_t number) {
        if (names.size() < number) names.resize(number);
    };
    for (std::size_t i = 0; i < sql.size();) {
        const char c = sql[i];
        const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
        if (c == '\'' || c == '"') {  // a literal or quoted identifier; a doubled quote stays inside it
            std::size_t end = i + 1;
            while (end < sql.size() && !(sql[end] == c && (end + 1 >= sql.size() || sql[end + 1] != c)))
                end += sql[end] == c ? 2 : 1;
            out.sql.append(sql, i, end + 1 - i);
            i = end + 1;
        } else if (c == '-' && next == '-') {
            const std::size_t end = std::min(sql.find('\n', i), sql.size());
            out.sql.append(sql, i, end - i);
            i = end;
        } else if (c == '/' && next == '*') {
            const std::size_t close = sql.find("*/", i + 2);
            const std::size_t end = close == std::string::npos ? sql.size() : close + 2;
            out.sql.append(sql, i, end - i);
            i = end;
        } else if (sql.compare(i, 11, "CROSS JOIN ") == 0 && (i == 0 || !is_name_char(sql[i - 1]))) {
            out.sql += "JOIN ";  // SQLite's way to fix a join's order; PostgreSQL takes no ON after CROSS JOIN
            i += 11;
        } else if (c == ':' && next == ':') {
            out.sql += "::";
            i += 2;
        } else if (c == '?' || (c == '$' && std::isdigit(static_cast<unsigned char>(next)))) {
            std::size_t end = i + 1;
            while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
            const std::size_t number = end > i + 1 ? std::stoul(sql.substr(i + 1, end - i - 1)) : names.size() + 1;
            use(number);
            out.sql += "$" + std::to_string(number);
            i = end;
        } else if ((c == ':' || c == '@' || c == '$') && (std::isalpha(static_cast<unsigned char>(next)) || next == '_')) {
            std::size_t end = i + 1;
            while (end < sql.size() && is_name_char(sql[end])) ++end;
            const std::string name = sql.substr(i, end - i);
            auto found = std::find(names.begin(), names.end(), name);
            if (found == names.end()) {
                names.push_back(name);
                found = names.end() - 1;
            }
            out.sql += "$" + std::to_string(found - names.begin() + 1);
            i = end;
        } else {
            out.sql += c;
            ++i;
        }
    }
    return out;
}

namespace {

constexpr std::uint32_t kByteCodePoints = 0x10FF00;  // U+10FF00 + b stands for the byte b

// The length of the well-formed UTF-8 sequence at `at` (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF), with its code point; 0 when the bytes there are not one.
std::size_t utf8_sequence(std::string_view text, std::size_t at, std::uint32_t& code_point) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    if (lead < 0x80) {
        code_point = lead;
        return 1;
    }
    const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (length == 0 || lead > 0xF4 || at + length > text.size()) return 0;
    code_point = lead & (0x7F >> length);
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(at + i) & 0xC0) != 0x80) return 0;
        code_point = (code_point << 6) | (byte(at + i) & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[length] || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF))
        return 0;
    return length;
}

void append_byte_code_point(std::string& out, unsigned char b) {
    const std::uint32_t cp = kByteCodePoints + b;
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
}

}  // namespace

std::string to_server_text(std::string_view text) {
    // Nearly all text is ASCII, which is sent as it is: no byte to decode.
    if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
        return std::string(text);
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0; at < text.size();) {
        std::uint32_t code_point = 0;
        const std::size_t length = utf8_sequence(text, at, code_point);
        if (length > 0 && code_point < kByteCodePoints) {
            out.append(text.substr(at, length));
            at += length;
        } else {
            // Not UTF-8 (or one of the code points that stand for bytes): each byte of it as its code point.
            for (std::size_t end = at + std::max<std::size_t>(length, 1); at < end; ++at)
                append_byte_code_point(out, static_cast<unsigned char>(text[at]));
        }
    }
    return out;
}

std::string from_server_text(std::string_view text) {
    // A code point that stands for a byte is U+10FF00 or above, which UTF-8 writes with a lead byte 0xF4: text
    // without one is the text sent.
    if (text.find('\xF4') == std::string_view::npos) return std::string(text);
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0; at < text.size();) {
        std::uint32_t code_point = 0;
        const std::size_t length = std::max<std::size_t>(utf8_sequence(text, at, code_point), 1);
        if (length == 4 && code_point >= kByteCodePoints)
            out += static_cast<char>(code_point - kByteCodePoints);
        else
            out.append(text.substr(at, length));
        at += length;
    }
    return out;
}

Connection::Connection(const std::string& conninfo, std::chrono::seconds timeout) : description_(redacted(conninfo)) {
    // Ours first: with expand_dbname, what the user's string says overrides them.
    const std::string seconds = std::to_string(std::max<std::int64_t>(1, timeout.count()));
    const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
    const char* values[] = {seconds.c_str(), "certfleet", conninfo.c_str(), nullptr};
    conn_ = PQconnectdbParams(keywords, values, 1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
        const std::string why = trimmed_message(conn_ ? PQerrorMessage(conn_) : "out of memory");
        PQfinish(conn_);
        conn_ = nullptr;
        throw Error("cannot connect to the PostgreSQL inventory at " + description_ + ": " + why, "08001");
    }
    // The server's notices and warnings ("relation already exists, skipping", "terminating connection due to
    // immediate shutdown") would reach stderr through libpq's default processor; what matters comes as an error.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    configure_session();
}

// Rows come back as text; this makes their form the same on every server. No JIT: the planner estimates the
// current view's joins at a row where there are tens of thousands, and compiling the plans it then judges costly
// took longer than running them (the bench's questions at 1M sightings: 17.3 s in all with it, 13.3 s without).
void Connection::configure_session() {
    exec("SET client_encoding = 'UTF8'; SET DateStyle = 'ISO'; SET extra_float_digits = 3; SET jit = off");
}

void Connection::reconnect() {
    PQreset(conn_);  // the same parameters, connect_timeout included; the notice processor stays
    if (PQstatus(conn_) != CONNECTION_OK)
        throw Error("cannot reconnect to the PostgreSQL inventory at " + description_ + ": " +
                        trimmed_message(PQerrorMessage(conn_)),
                    "08001");
    ++session_;
    configure_session();
}

Connection::~Connection() { PQfinish(conn_); }

void ResultDeleter::operator()(pg_result* result) const { PQclear(result); }

Result checked(Connection& connection, pg_result* raw, const std::string& what) {
    Result result(raw);
    const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    if (PQstatus(connection.get()) == CONNECTION_BAD) sqlstate = "08006";
    const std::string why = trimmed_message(result && PQresultErrorMessage(result.get())[0]
                                                ? PQresultErrorMessage(result.get())
                                                : PQerrorMessage(connection.get()));
    throw Error(what + " (PostgreSQL inventory at " + connection.description() + "): " + why, sqlstate);
}

void Connection::exec(const std::string& sql) { checked(*this, PQexec(conn_, sql.c_str()), "database error"); }

std::optional<std::string> Connection::value(const std::string& sql) {
    const Result result = checked(*this, PQexec(conn_, sql.c_str()), "database error");
    if (PQntuples(result.get()) == 0 || PQnfields(result.get()) == 0 || PQgetisnull(result.get(), 0, 0))
        return std::nullopt;
    return std::string(PQgetvalue(result.get(), 0, 0), static_cast<std::size_t>(PQgetlength(result.get(), 0, 0)));
}

int Connection::server_version() const { return PQserverVersion(conn_); }

bool Connection::in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

bool Connection::transaction_failed() const { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }

namespace {

// A value as COPY's text format writes it: \N for NULL; text as the server stores it, with the backslash and
// the column and row separators escaped.
void append_copy_value(std::string& out, const SqlValue& value) {
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
        out += std::to_string(*number);
        return;
    }
    const auto* text = std::get_if<std::string>(&value);
    if (!text) {
        out += "\\N";
        return;
    }
    for (const char c : to_server_text(*text)) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += c;
        }
    }
}

}  // namespace

bool Connection::copy_rows(const std::string& table, const std::string& column_list,
                           const std::vector<SqlValue>& values, std::size_t columns) {
    if (values.empty()) return true;
    std::string data;
    data.reserve(values.size() * 12);
    for (std::size_t i = 0; i < values.size(); ++i) {
        append_copy_value(data, values[i]);
        data += (i + 1) % columns == 0 ? '\n' : '\t';
    }
    const std::string what = "cannot copy rows into " + table;
    Result start(PQexec(conn_, ("COPY " + table + " " + column_list + " FROM STDIN").c_str()));
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
        checked(*this, start.release(), what);
        throw Error(what + ": the server did not start the copy", "");
    }
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1)
        throw Error(what + " (PostgreSQL inventory at " + description_ + "): " + trimmed_message(PQerrorMessage(conn_)),
                    PQstatus(conn_) == CONNECTION_BAD ? "08006" : "");
    Result end(PQgetResult(conn_));
    while (pg_result* more = PQgetResult(conn_)) PQclear(more);
    const char* state = end ? PQresultErrorField(end.get(), PG_DIAG_SQLSTATE) : nullptr;
    if (state && std::string_view(state) == "23505") return false;  // unique_violation
    checked(*this, end.release(), what);
    return true;
}

std::unique_ptr<SqlCursor> Connection::prepare(const std::string& sql) { return std::make_unique<Cursor>(*this, sql); }

Cursor::Cursor(Connection& connection, const std::string& sql)
    : connection_(connection), name_(connection.next_statement_name()) {
    NumberedSql numbered = with_numbered_parameters(sql);
    names_ = std::move(numbered.names);
    sql_ = std::move(numbered.sql);
    parameters_.resize(names_.size());
    prepare();
}

void Cursor::prepare() {
    // The statement's text helps only whoever fixes certfleet: a prepare fails on certfleet's SQL, not on input.
    checked(connection_, PQprepare(connection_.get(), name_.c_str(), sql_.c_str(), 0, nullptr),
            "cannot prepare statement [" + sql_.substr(0, 2000) + "]");
    prepared_in_ = connection_.session();
}

Cursor::~Cursor() {
    // The connection may be gone (a lost server), or a new session never had it; a DEALLOCATE then changes nothing.
    if (PQstatus(connection_.get()) == CONNECTION_OK && prepared_in_ == connection_.session())
        PQclear(PQexec(connection_.get(), ("DEALLOCATE " + name_).c_str()));
}

Cursor::Parameter& Cursor::slot(int i) {
    if (i < 1 || static_cast<std::size_t>(i) > parameters_.size())
        throw InventoryError("cannot bind value: no parameter " + std::to_string(i));
    return parameters_[static_cast<std::size_t>(i) - 1];
}

int Cursor::parameter_index(const char* name) const {
    const auto found = std::find(names_.begin(), names_.end(), name);
    return found == names_.end() ? 0 : static_cast<int>(found - names_.begin()) + 1;
}

void Cursor::bind_integer(int i, std::int64_t v) { slot(i) = Parameter{std::to_string(v), false}; }

void Cursor::bind_text(int i, const std::string& v, bool) { slot(i) = Parameter{to_server_text(v), false}; }

void Cursor::bind_null(int i) { slot(i) = Parameter{}; }

void Cursor::bind_blob(int i, const Bytes& v) { slot(i) = Parameter{std::string(v.begin(), v.end()), true}; }

bool Cursor::step() {
    if (!result_) {
        if (prepared_in_ != connection_.session()) prepare();
        std::vector<const char*> values;
        std::vector<int> lengths, formats;
        for (const auto& p : parameters_) {
            values.push_back(p.value ? p.value->c_str() : nullptr);
            lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
            formats.push_back(p.binary ? 1 : 0);
        }
        result_ = checked(connection_,
                          PQexecPrepared(connection_.get(), name_.c_str(), static_cast<int>(values.size()),
                                         values.data(), lengths.data(), formats.data(), 0),
                          "database error");
        const char* tuples = PQcmdTuples(result_.get());
        changes_ = tuples && *tuples ? std::atoll(tuples) : 0;
        row_ = 0;
    } else {
        ++row_;
    }
    if (row_ < PQntuples(result_.get())) return true;
    reset();
    return false;
}

void Cursor::reset() {
    result_.reset();
    row_ = -1;
    std::fill(parameters_.begin(), parameters_.end(), Parameter{});
}

bool Cursor::is_null(int column) const { return !result_ || PQgetisnull(result_.get(), row_, column); }

std::string Cursor::text(int column) const {
    if (is_null(column)) return {};
    return from_server_text(std::string_view(PQgetvalue(result_.get(), row_, column),
                                             static_cast<std::size_t>(PQgetlength(result_.get(), row_, column))));
}

std::int64_t Cursor::integer(int column) const {
    if (is_null(column)) return 0;
    const char* value = PQgetvalue(result_.get(), row_, column);
    if (value[0] == 't' && value[1] == '\0') return 1;  // a boolean expression (EXISTS, comparisons)
    if (value[0] == 'f' && value[1] == '\0') return 0;
    return std::strtoll(value, nullptr, 10);
}

Bytes Cursor::blob(int column) const {
    if (is_null(column)) return {};
    std::size_t length = 0;
    unsigned char* bytes =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row_, column)), &length);
    if (!bytes) throw InventoryError("database error: cannot decode a bytea value");
    Bytes out(bytes, bytes + length);
    PQfreemem(bytes);
    return out;
}

}  // namespace certfleet::inventory::pg
