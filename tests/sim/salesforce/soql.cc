#include "tests/sim/salesforce/soql.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>

#include "tests/sim/common/sim_text.h"

namespace salesaudit::sim {
namespace {

// How deep NOT and parentheses may nest before the parser refuses: keeps
// the recursion bounded whatever the input.
constexpr int kMaxDepth = 40;

enum class Tok { kIdent, kString, kNumber, kDate, kDateTime, kComma, kLParen, kRParen, kOp, kEnd };

struct Token {
  Tok kind;
  std::string text;  // as written (strings: unescaped)
  size_t pos = 0;    // offset in the query
  int64_t ms = 0;    // kDate, kDateTime: epoch ms (UTC)
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

// Salesforce's query error text: the line, a caret under the column, the
// position, then what is wrong.
SoqlError ErrorAt(std::string_view text, size_t pos, std::string code, const std::string& what) {
  pos = std::min(pos, text.size());
  const size_t line_start = text.rfind('\n', pos == 0 ? 0 : pos - 1);
  const size_t begin = line_start == std::string_view::npos || pos == 0 ? 0 : line_start + 1;
  size_t end = text.find('\n', pos);
  if (end == std::string_view::npos) end = text.size();
  const int row = 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
  const size_t column = pos - begin + 1;
  std::string message = "\n" + std::string(text.substr(begin, end - begin)) + "\n" +
                        std::string(column - 1, ' ') + "^\nERROR at Row:" + std::to_string(row) +
                        ":Column:" + std::to_string(column) + "\n" + what;
  return SoqlError{std::move(code), std::move(message)};
}

// Reads N digits at `s[i]`, advancing `i`.
bool Digits(std::string_view s, size_t& i, size_t n, int& out) {
  out = 0;
  for (size_t k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || !IsDigit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int64_t DaysFromCivil(int y, int m, int d) {
  using namespace std::chrono;
  return sys_days(year(y) / month(static_cast<unsigned>(m)) / day(static_cast<unsigned>(d)))
      .time_since_epoch()
      .count();
}

// A date (YYYY-MM-DD) or dateTime literal (YYYY-MM-DDThh:mm:ss with Z or
// ±hh:mm) at s[i].
std::optional<Token> DateLiteral(std::string_view s, size_t& i) {
  size_t j = i;
  int y = 0, mo = 0, d = 0;
  if (!Digits(s, j, 4, y) || j >= s.size() || s[j++] != '-' || !Digits(s, j, 2, mo) ||
      j >= s.size() || s[j++] != '-' || !Digits(s, j, 2, d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  Token t{Tok::kDate, "", i, DaysFromCivil(y, mo, d) * 86'400'000};
  if (j < s.size() && s[j] == 'T') {
    int h = 0, mi = 0, sec = 0;
    ++j;
    if (!Digits(s, j, 2, h) || j >= s.size() || s[j++] != ':' || !Digits(s, j, 2, mi) ||
        j >= s.size() || s[j++] != ':' || !Digits(s, j, 2, sec) || h > 23 || mi > 59 || sec > 59) {
      return std::nullopt;
    }
    // No fraction of a second: SOQL documents none.
    int64_t offset_min = 0;
    if (j < s.size() && s[j] == 'Z') {
      ++j;
    } else if (j < s.size() && (s[j] == '+' || s[j] == '-')) {
      const int sign = s[j++] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      if (!Digits(s, j, 2, oh) || j >= s.size() || s[j++] != ':' || !Digits(s, j, 2, om)) {
        return std::nullopt;
      }
      offset_min = sign * (oh * 60 + om);
    } else {
      return std::nullopt;  // a dateTime needs its zone
    }
    t.kind = Tok::kDateTime;
    t.ms += (h * 3600LL + mi * 60LL + sec) * 1000 - offset_min * 60'000;
  }
  if (j < s.size() && IsIdentChar(s[j])) return std::nullopt;
  t.text = std::string(s.substr(i, j - i));
  i = j;
  return t;
}

std::variant<std::vector<Token>, SoqlError> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    const size_t start = i;
    if (c == ',' || c == '(' || c == ')') {
      out.push_back({c == ','   ? Tok::kComma
                     : c == '(' ? Tok::kLParen
                                : Tok::kRParen,
                     std::string(1, c), start});
      ++i;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
      std::string op(1, c);
      ++i;
      if (i < s.size() && (s[i] == '=' || (c == '<' && s[i] == '>'))) op += s[i++];
      if (op == "!") return ErrorAt(s, start, "MALFORMED_QUERY", "unexpected token: !");
      out.push_back({Tok::kOp, op, start});
    } else if (c == '\'') {
      std::string value;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        const char ch = s[i++];
        if (ch == '\'') {
          closed = true;
          break;
        }
        if (ch != '\\') {
          value += ch;
          continue;
        }
        if (i >= s.size()) break;
        const char e = s[i++];
        switch (e) {
          case 'n':
            value += '\n';
            break;
          case 'r':
            value += '\r';
            break;
          case 't':
            value += '\t';
            break;
          case 'b':
            value += '\b';
            break;
          case 'f':
            value += '\f';
            break;
          case '\'':
          case '"':
          case '\\':
            value += e;
            break;
          // LIKE wildcards kept escaped; the matcher reads them.
          case '_':
          case '%':
            value += '\\';
            value += e;
            break;
          default:
            return ErrorAt(s, i - 2, "MALFORMED_QUERY",
                           "Invalid string literal '" + std::string(s.substr(start, i - start)) +
                               "'. Illegal character sequence '\\" + std::string(1, e) +
                               "' in string literal.");
        }
      }
      if (!closed) {
        return ErrorAt(s, start, "MALFORMED_QUERY",
                       "unexpected token: '" + std::string(s.substr(start)));
      }
      out.push_back({Tok::kString, value, start});
    } else if (IsDigit(c) || (c == '-' && i + 1 < s.size() && IsDigit(s[i + 1]))) {
      if (auto date = DateLiteral(s, i)) {
        out.push_back(*date);
        continue;
      }
      ++i;
      while (i < s.size() && (IsDigit(s[i]) || s[i] == '.')) ++i;
      std::string number(s.substr(start, i - start));
      if (std::count(number.begin(), number.end(), '.') > 1 ||
          (i < s.size() && IsIdentChar(s[i]))) {
        while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        return ErrorAt(s, start, "MALFORMED_QUERY",
                       "unexpected token: " + std::string(s.substr(start, i - start)));
      }
      out.push_back({Tok::kNumber, number, start});
    } else if (IsIdentStart(c)) {
      while (i < s.size() && IsIdentChar(s[i])) ++i;
      out.push_back({Tok::kIdent, std::string(s.substr(start, i - start)), start});
    } else {
      return ErrorAt(s, start, "MALFORMED_QUERY", "unexpected token: " + std::string(1, c));
    }
  }
  out.push_back({Tok::kEnd, "<EOF>", s.size()});
  return out;
}

const char* TypeWord(FieldType type) {
  switch (type) {
    case FieldType::kBoolean:
      return "boolean";
    case FieldType::kDouble:
      return "double";
    case FieldType::kCurrency:
      return "currency";
    case FieldType::kPercent:
      return "percent";
    case FieldType::kDate:
      return "date";
    case FieldType::kDateTime:
      return "dateTime";
    case FieldType::kId:
    case FieldType::kReference:
      return "id";
    default:
      return "string";
  }
}

bool Quoted(FieldType type) {
  return type == FieldType::kString || type == FieldType::kPicklist || type == FieldType::kId ||
         type == FieldType::kReference;
}

bool IsIdType(FieldType type) { return type == FieldType::kId || type == FieldType::kReference; }

bool ValidId(const std::string& id) {
  return (id.size() == 15 || id.size() == 18) && std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c));
         });
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, const Org& org)
      : text_(text), tokens_(std::move(tokens)), org_(org) {}

  std::variant<SoqlQuery, SoqlError> ParseTop() {
    SoqlQuery query = Select(/*inner=*/false);
    if (!error_ && Peek().kind != Tok::kEnd) Unexpected();
    if (error_) return *error_;
    return query;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool IsKeyword(const Token& t, std::string_view word) const {
    return t.kind == Tok::kIdent && Lower(t.text) == Lower(word);
  }
  bool Accept(std::string_view word) {
    if (!IsKeyword(Peek(), word)) return false;
    Next();
    return true;
  }
  void Fail(size_t pos, std::string code, const std::string& what) {
    if (!error_) error_ = ErrorAt(text_, pos, std::move(code), what);
  }
  void Unexpected() { Fail(Peek().pos, "MALFORMED_QUERY", "unexpected token: " + Peek().text); }
  bool Expect(std::string_view word) {
    if (Accept(word)) return true;
    Unexpected();
    return false;
  }
  bool ExpectKind(Tok kind) {
    if (Peek().kind == kind) {
      Next();
      return true;
    }
    Unexpected();
    return false;
  }

  // A field of `object` read from the query, or nullptr after failing.
  const FieldDef* Field(const ObjectSchema& object) {
    if (Peek().kind != Tok::kIdent) {
      Unexpected();
      return nullptr;
    }
    return FieldNamed(Next(), object);
  }

  const FieldDef* FieldNamed(const Token& t, const ObjectSchema& object) {
    if (t.text.find('.') != std::string::npos) {
      Fail(t.pos, "INVALID_FIELD",
           "Didn't understand relationship '" + t.text.substr(0, t.text.find('.')) +
               "' in field path. If you are attempting to use a custom relationship, be sure to "
               "append the '__r' after the custom relationship name. Please reference your WSDL "
               "or the describe call for the appropriate names.");
      return nullptr;
    }
    const FieldDef* field = object.Find(t.text);
    if (field == nullptr) {
      Fail(t.pos, "INVALID_FIELD",
           "No such column '" + t.text + "' on entity '" + object.name +
               "'. If you are attempting to use a custom field, be sure to append the '__c' after "
               "the custom field name. Please reference your WSDL or the describe call for the "
               "appropriate names.");
    }
    return field;
  }

  SoqlQuery Select(bool inner) {
    SoqlQuery query;
    if (!Expect("SELECT")) return query;
    std::vector<Token> field_tokens;
    if (IsKeyword(Peek(), "COUNT") && Peek(1).kind == Tok::kLParen) {
      Next();
      Next();
      if (!ExpectKind(Tok::kRParen)) return query;
      query.count = true;
    } else {
      for (;;) {
        if (Peek().kind != Tok::kIdent || IsKeyword(Peek(), "FROM")) {
          Unexpected();
          return query;
        }
        field_tokens.push_back(Next());
        if (Peek().kind != Tok::kComma) break;
        Next();
      }
    }
    if (!Expect("FROM")) return query;
    const Token& object_token = Peek();
    if (object_token.kind != Tok::kIdent) {
      Unexpected();
      return query;
    }
    Next();
    query.object = org_.Schema(object_token.text);
    if (query.object == nullptr) {
      Fail(object_token.pos, "INVALID_TYPE",
           "sObject type '" + object_token.text +
               "' is not supported. If you are attempting to use a custom object, be sure to "
               "append the '__c' after the entity name. Please reference your WSDL or the "
               "describe call for the appropriate names.");
      return query;
    }
    // Fields are checked once the object is known, as Salesforce reports an
    // unknown object before an unknown column.
    std::set<const FieldDef*> seen;
    for (const Token& t : field_tokens) {
      const FieldDef* field = FieldNamed(t, *query.object);
      if (field == nullptr) return query;
      if (!seen.insert(field).second) {
        Fail(t.pos, "MALFORMED_QUERY", "duplicate field selected: " + field->name);
        return query;
      }
      query.fields.push_back(field);
    }
    if (Accept("WHERE")) {
      query.where = Condition(*query.object, 0, inner);
      if (error_) return query;
    }
    if (inner) return query;
    if (Accept("ORDER")) {
      if (!Expect("BY")) return query;
      for (;;) {
        SoqlOrder order;
        order.field = Field(*query.object);
        if (order.field == nullptr) return query;
        if (Accept("DESC")) {
          order.descending = true;
        } else {
          Accept("ASC");
        }
        // Nulls sort first in either direction unless the query says
        // otherwise.
        if (Accept("NULLS")) {
          if (Accept("FIRST")) {
            order.nulls_first = true;
          } else if (Expect("LAST")) {
            order.nulls_first = false;
          } else {
            return query;
          }
        }
        query.order.push_back(order);
        if (Peek().kind != Tok::kComma) break;
        Next();
      }
    }
    if (Accept("LIMIT")) {
      const Token& t = Peek();
      if (t.kind != Tok::kNumber || t.text.find('.') != std::string::npos || t.text[0] == '-') {
        Unexpected();
        return query;
      }
      Next();
      query.limit = std::strtoll(t.text.c_str(), nullptr, 10);
    }
    return query;
  }

  // Terms joined all by AND or all by OR.
  SoqlExpr Condition(const ObjectSchema& object, int depth, bool inner) {
    SoqlExpr first = Term(object, depth, inner);
    if (error_) return first;
    if (!IsKeyword(Peek(), "AND") && !IsKeyword(Peek(), "OR")) return first;
    const bool is_and = IsKeyword(Peek(), "AND");
    SoqlExpr joined;
    joined.kind = is_and ? SoqlExpr::Kind::kAnd : SoqlExpr::Kind::kOr;
    joined.children.push_back(std::move(first));
    while (Accept(is_and ? "AND" : "OR")) {
      joined.children.push_back(Term(object, depth, inner));
      if (error_) return joined;
    }
    if (IsKeyword(Peek(), is_and ? "OR" : "AND")) Unexpected();
    return joined;
  }

  SoqlExpr Term(const ObjectSchema& object, int depth, bool inner) {
    SoqlExpr expr;
    if (depth > kMaxDepth) {
      Fail(Peek().pos, "MALFORMED_QUERY", "expression nested too deeply");
      return expr;
    }
    if (Accept("NOT")) {
      expr.kind = SoqlExpr::Kind::kNot;
      expr.children.push_back(Term(object, depth + 1, inner));
      return expr;
    }
    if (Peek().kind == Tok::kLParen) {
      Next();
      expr = Condition(object, depth + 1, inner);
      if (!error_) ExpectKind(Tok::kRParen);
      return expr;
    }
    expr.condition = Comparison(object, inner);
    return expr;
  }

  SoqlCondition Comparison(const ObjectSchema& object, bool inner) {
    SoqlCondition c;
    c.field = Field(object);
    if (c.field == nullptr) return c;
    const size_t field_pos = tokens_[pos_ - 1].pos;
    if (Peek().kind == Tok::kOp) {
      static const std::map<std::string, SoqlOp> kOps = {
          {"=", SoqlOp::kEq},  {"!=", SoqlOp::kNe}, {"<>", SoqlOp::kNe}, {"<", SoqlOp::kLt},
          {"<=", SoqlOp::kLe}, {">", SoqlOp::kGt},  {">=", SoqlOp::kGe}};
      auto op = kOps.find(Peek().text);
      if (op == kOps.end()) {
        Unexpected();
        return c;
      }
      Next();
      c.op = op->second;
      c.values.push_back(Literal(*c.field));
      return c;
    }
    if (Accept("LIKE")) {
      c.op = SoqlOp::kLike;
      if (Peek().kind != Tok::kString || !Quoted(c.field->type) || IsIdType(c.field->type)) {
        Fail(field_pos, "INVALID_FIELD",
             "invalid operator on " + std::string(TypeWord(c.field->type)) +
                 " field: " + c.field->name);
        return c;
      }
      c.values.push_back(SfValue(Next().text));
      return c;
    }
    const bool negated = Accept("NOT");
    if (!Expect("IN")) return c;
    c.op = negated ? SoqlOp::kNotIn : SoqlOp::kIn;
    if (!ExpectKind(Tok::kLParen)) return c;
    if (IsKeyword(Peek(), "SELECT")) {
      const size_t select_pos = Peek().pos;
      if (inner) {
        Fail(select_pos, "MALFORMED_QUERY", "Nesting of semi join sub-selects is not supported");
        return c;
      }
      auto sub = std::make_shared<SoqlQuery>(Select(/*inner=*/true));
      if (error_) return c;
      if (sub->count || sub->fields.size() != 1) {
        Fail(select_pos, "MALFORMED_QUERY", "semi join sub selects can only query one field");
        return c;
      }
      for (const FieldDef* f : {sub->fields[0], c.field}) {
        if (!IsIdType(f->type)) {
          Fail(select_pos, "MALFORMED_QUERY",
               "semi join sub selects can only query id fields, cannot use: '" + f->name + "'");
          return c;
        }
      }
      if (sub->object == &object) {
        Fail(select_pos, "INVALID_QUERY_FILTER_OPERATOR",
             "The inner and outer selects should not be on the same object type");
        return c;
      }
      c.subquery = std::move(sub);
      ExpectKind(Tok::kRParen);
      return c;
    }
    for (;;) {
      c.values.push_back(Literal(*c.field));
      if (error_) return c;
      if (Peek().kind != Tok::kComma) break;
      Next();
    }
    ExpectKind(Tok::kRParen);
    return c;
  }

  // A literal typed for `field`, or a null SfValue after failing.
  SfValue Literal(const FieldDef& field) {
    const Token& t = Peek();
    if (t.kind == Tok::kIdent && Lower(t.text) == "null") {
      Next();
      return SfValue();
    }
    auto mismatch = [&]() {
      Fail(t.pos, "INVALID_FIELD",
           "value of filter criterion for field '" + field.name + "' must be of type " +
               TypeWord(field.type) + " and should " + (Quoted(field.type) ? "" : "not ") +
               "be enclosed in quotes");
      return SfValue();
    };
    switch (t.kind) {
      case Tok::kString:
        Next();
        if (!Quoted(field.type)) return mismatch();
        if (IsIdType(field.type) && !ValidId(t.text)) {
          Fail(t.pos, "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: " + t.text);
          return SfValue();
        }
        return SfValue(t.text);
      case Tok::kNumber:
        Next();
        if (field.type != FieldType::kDouble && field.type != FieldType::kCurrency &&
            field.type != FieldType::kPercent) {
          return mismatch();
        }
        return SfValue(std::strtod(t.text.c_str(), nullptr));
      case Tok::kDate:
        Next();
        if (field.type != FieldType::kDate) return mismatch();
        return SfValue(static_cast<double>(t.ms));
      case Tok::kDateTime:
        Next();
        if (field.type != FieldType::kDateTime) return mismatch();
        return SfValue(static_cast<double>(t.ms));
      case Tok::kIdent:
        if (Lower(t.text) == "true" || Lower(t.text) == "false") {
          Next();
          if (field.type != FieldType::kBoolean) return mismatch();
          return SfValue(Lower(t.text) == "true");
        }
        [[fallthrough]];
      default:
        Unexpected();
        return SfValue();
    }
  }

  std::string_view text_;
  const std::vector<Token> tokens_;
  const Org& org_;
  size_t pos_ = 0;
  std::optional<SoqlError> error_;
};

// -1, 0, 1 for two non-null values of one field type. Text compares
// case-insensitively; ids by their 15 case-sensitive characters.
int CompareValues(FieldType type, const SfValue& a, const SfValue& b) {
  if (std::holds_alternative<double>(a) && std::holds_alternative<double>(b)) {
    const double x = std::get<double>(a), y = std::get<double>(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (std::holds_alternative<bool>(a) && std::holds_alternative<bool>(b)) {
    return static_cast<int>(std::get<bool>(a)) - static_cast<int>(std::get<bool>(b));
  }
  if (std::holds_alternative<std::string>(a) && std::holds_alternative<std::string>(b)) {
    if (IsIdType(type)) {
      const std::string x = std::get<std::string>(a).substr(0, 15);
      const std::string y = std::get<std::string>(b).substr(0, 15);
      return x.compare(y) < 0 ? -1 : (x == y ? 0 : 1);
    }
    const std::string& x = std::get<std::string>(a);
    const std::string& y = std::get<std::string>(b);
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
      const int cx = std::tolower(static_cast<unsigned char>(x[i]));
      const int cy = std::tolower(static_cast<unsigned char>(y[i]));
      if (cx != cy) return cx < cy ? -1 : 1;
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return 0;
}

// SQL LIKE with % and _ (backslash-escaped ones literal), case-insensitive.
bool Like(std::string_view value, std::string_view pattern) {
  if (pattern.empty()) return value.empty();
  if (pattern[0] == '%') {
    for (size_t i = 0; i <= value.size(); ++i) {
      if (Like(value.substr(i), pattern.substr(1))) return true;
    }
    return false;
  }
  if (value.empty()) return false;
  if (pattern[0] == '_') return Like(value.substr(1), pattern.substr(1));
  size_t width = 1;
  char want = pattern[0];
  if (want == '\\' && pattern.size() > 1) {
    want = pattern[1];
    width = 2;
  }
  return std::tolower(static_cast<unsigned char>(value[0])) ==
             std::tolower(static_cast<unsigned char>(want)) &&
         Like(value.substr(1), pattern.substr(width));
}

const SfValue& FieldOf(const SfRecord& record, const FieldDef& field) {
  static const SfValue kNull;
  auto it = record.fields.find(field.name);
  return it == record.fields.end() ? kNull : it->second;
}

class Evaluator {
 public:
  Evaluator(const Org& org, int64_t now_ms, bool include_deleted, std::mt19937_64& rng)
      : org_(org), now_ms_(now_ms), include_deleted_(include_deleted), rng_(rng) {}

  bool Matches(const SfRecord& record, const SoqlExpr& expr) {
    switch (expr.kind) {
      case SoqlExpr::Kind::kAnd:
        return std::all_of(expr.children.begin(), expr.children.end(),
                           [&](const SoqlExpr& e) { return Matches(record, e); });
      case SoqlExpr::Kind::kOr:
        return std::any_of(expr.children.begin(), expr.children.end(),
                           [&](const SoqlExpr& e) { return Matches(record, e); });
      case SoqlExpr::Kind::kNot:
        return !Matches(record, expr.children[0]);
      case SoqlExpr::Kind::kCondition:
        break;
    }
    const SoqlCondition& c = expr.condition;
    const SfValue& value = FieldOf(record, *c.field);
    if (c.subquery) {
      const std::set<std::string>& ids = SubqueryIds(*c.subquery);
      const bool in = !IsNull(value) && ids.count(std::get<std::string>(value).substr(0, 15)) != 0;
      return c.op == SoqlOp::kIn ? in : !in;
    }
    auto equals = [&](const SfValue& literal) {
      if (IsNull(literal) || IsNull(value)) return IsNull(literal) && IsNull(value);
      return CompareValues(c.field->type, value, literal) == 0;
    };
    switch (c.op) {
      case SoqlOp::kEq:
        return equals(c.values[0]);
      // A null field is unequal to every non-null value.
      case SoqlOp::kNe:
        return !equals(c.values[0]);
      case SoqlOp::kIn:
        return std::any_of(c.values.begin(), c.values.end(), equals);
      case SoqlOp::kNotIn:
        return std::none_of(c.values.begin(), c.values.end(), equals);
      case SoqlOp::kLike:
        return std::holds_alternative<std::string>(value) &&
               Like(std::get<std::string>(value), std::get<std::string>(c.values[0]));
      default:
        break;
    }
    if (IsNull(value) || IsNull(c.values[0])) return false;
    const int cmp = CompareValues(c.field->type, value, c.values[0]);
    switch (c.op) {
      case SoqlOp::kLt:
        return cmp < 0;
      case SoqlOp::kLe:
        return cmp <= 0;
      case SoqlOp::kGt:
        return cmp > 0;
      default:
        return cmp >= 0;
    }
  }

 private:
  const std::set<std::string>& SubqueryIds(const SoqlQuery& sub) {
    auto it = subquery_ids_.find(&sub);
    if (it != subquery_ids_.end()) return it->second;
    std::set<std::string>& ids = subquery_ids_[&sub];
    for (const SfRecord* r : RunSoql(sub, org_, now_ms_, include_deleted_, rng_)) {
      const SfValue& v = FieldOf(*r, *sub.fields[0]);
      if (std::holds_alternative<std::string>(v))
        ids.insert(std::get<std::string>(v).substr(0, 15));
    }
    return ids;
  }

  const Org& org_;
  int64_t now_ms_;
  bool include_deleted_;
  std::mt19937_64& rng_;
  std::map<const SoqlQuery*, std::set<std::string>> subquery_ids_;
};

}  // namespace

std::variant<SoqlQuery, SoqlError> ParseSoql(std::string_view text, const Org& org) {
  if (text.size() > kMaxSoqlLength) {
    return SoqlError{"MALFORMED_QUERY", "Query is too long: " + std::to_string(text.size()) +
                                            " characters, the limit is " +
                                            std::to_string(kMaxSoqlLength)};
  }
  auto tokens = Tokenize(text);
  if (auto* error = std::get_if<SoqlError>(&tokens)) return *error;
  Parser parser(text, std::move(std::get<std::vector<Token>>(tokens)), org);
  return parser.ParseTop();
}

std::vector<const SfRecord*> RunSoql(const SoqlQuery& query, const Org& org, int64_t now_ms,
                                     bool include_deleted, std::mt19937_64& rng) {
  std::vector<const SfRecord*> rows;
  Evaluator evaluator(org, now_ms, include_deleted, rng);
  for (const SfRecord* r : org.Visible(*query.object, now_ms, include_deleted)) {
    if (!query.where || evaluator.Matches(*r, *query.where)) rows.push_back(r);
  }
  // Ties keep whatever order the shuffle gave them.
  std::shuffle(rows.begin(), rows.end(), rng);
  if (!query.order.empty()) {
    // Each row's sort keys, looked up once.
    struct Keyed {
      const SfRecord* record;
      std::vector<const SfValue*> keys;
    };
    std::vector<Keyed> keyed;
    keyed.reserve(rows.size());
    for (const SfRecord* r : rows) {
      Keyed k{r, {}};
      for (const SoqlOrder& o : query.order) k.keys.push_back(&FieldOf(*r, *o.field));
      keyed.push_back(std::move(k));
    }
    std::stable_sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
      for (size_t i = 0; i < query.order.size(); ++i) {
        const SoqlOrder& o = query.order[i];
        const SfValue& x = *a.keys[i];
        const SfValue& y = *b.keys[i];
        if (IsNull(x) || IsNull(y)) {
          if (IsNull(x) && IsNull(y)) continue;
          return IsNull(x) == o.nulls_first;
        }
        const int cmp = CompareValues(o.field->type, x, y);
        if (cmp != 0) return o.descending ? cmp > 0 : cmp < 0;
      }
      return false;
    });
    for (size_t i = 0; i < keyed.size(); ++i) rows[i] = keyed[i].record;
  }
  if (query.limit && rows.size() > static_cast<size_t>(*query.limit)) {
    rows.resize(static_cast<size_t>(*query.limit));
  }
  return rows;
}

}  // namespace salesaudit::sim
