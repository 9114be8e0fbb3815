// Checks docs/errors.md against the sources and against the registered row tests (rows.hpp).
#include "rows.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "../support/run_process.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace posenc::test {

cli_dir::cli_dir()
    : dir(fs::temp_directory_path() / ("posenc-error-rows-" + std::to_string(::getpid()))) {
  fs::create_directories(dir);
}
cli_dir::~cli_dir() {
  std::error_code ec;
  fs::remove_all(dir, ec);
}
std::string cli_dir::text(const std::string& name, const std::string& content) const {
  std::ofstream(dir / name, std::ios::binary) << content;
  return (dir / name).string();
}
std::string cli_dir::floats(const std::string& name, const std::vector<std::int64_t>& shape) const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
  REQUIRE(npy::save<float>((dir / name).string(), v, shape).ok());
  return (dir / name).string();
}
std::string cli_dir::ints(const std::string& name, const std::vector<std::int64_t>& values) const {
  const std::vector<std::int64_t> shape{static_cast<std::int64_t>(values.size())};
  REQUIRE(npy::save<std::int64_t>((dir / name).string(), values, shape).ok());
  return (dir / name).string();
}

const cli_dir& scratch() {
  static const cli_dir d;
  return d;
}

outcome run_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{POSENC_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  fs::remove(scratch().out());
  const auto r = run_process(argv, scratch().dir);
  outcome o;
  o.exit_code = r.exit_code;
  o.message = r.err;
  o.untouched = !fs::exists(scratch().out()) && std::count(r.err.begin(), r.err.end(), '\n') == 1;
  fs::remove(scratch().out());
  return o;
}

}  // namespace posenc::test

namespace {

using posenc::errc;
using posenc::test::error_row;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::optional<errc> errc_from_name(std::string_view name) {
  for (int c = 1; c <= static_cast<int>(errc::parse_error); ++c) {
    if (posenc::errc_name(static_cast<errc>(c)) == name) return static_cast<errc>(c);
  }
  return std::nullopt;
}

// ---- the table: "### `section`" headings, then "| `code` | message |" rows.
struct doc_row {
  std::string file;
  errc code;
  std::string message;
  auto key() const { return std::tie(file, code, message); }
  bool operator<(const doc_row& o) const { return key() < o.key(); }
};

std::vector<doc_row> table_rows() {
  std::istringstream in(read_text(fs::path(POSENC_SOURCE_DIR) / "docs" / "errors.md"));
  std::vector<doc_row> out;
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.rfind("### `", 0) == 0) {
      section = line.substr(5, line.find('`', 5) - 5);
    } else if (!section.empty() && line.rfind("| `", 0) == 0 && line.size() > 2 &&
               line.compare(line.size() - 2, 2, " |") == 0) {
      const auto code_end = line.find('`', 3);
      const auto code = errc_from_name(line.substr(3, code_end - 3));
      INFO(line);
      REQUIRE(code);
      REQUIRE(line.compare(code_end, 4, "` | ") == 0);
      std::string message = line.substr(code_end + 4, line.size() - 2 - (code_end + 4));
      for (auto p = message.find("\\|"); p != std::string::npos; p = message.find("\\|", p)) {
        message.erase(p, 1);
      }
      out.push_back({section, *code, message});
    }
  }
  return out;
}

// ---- the sources: every make_error(errc::X, parts...) call, and calls of the .npy header
// parser's fail(text), which wraps make_error(errc::parse_error, ...). A part that is one or
// more string literals is text; any other part is an expression, written <expr>. fail(text)
// rows give the text inside "<what>: malformed .npy header (<text> at offset <i>)".
struct part {
  bool literal;
  std::string text;
};
struct site {
  std::string file;
  errc code;
  std::vector<part> parts;
  std::string rendered() const {
    std::string s;
    for (const auto& p : parts) s += p.literal ? p.text : "<" + p.text + ">";
    return s;
  }
};

// Source text with comments blanked out (string and character literals kept).
std::string strip_comments(const std::string& s) {
  std::string out = s;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '"' || out[i] == '\'') {
      const char q = out[i];
      for (++i; i < out.size() && out[i] != q; ++i) {
        if (out[i] == '\\') ++i;
      }
    } else if (out.compare(i, 2, "//") == 0) {
      for (; i < out.size() && out[i] != '\n'; ++i) out[i] = ' ';
    } else if (out.compare(i, 2, "/*") == 0) {
      const auto end = out.find("*/", i + 2);
      const auto stop = end == std::string::npos ? out.size() : end + 2;
      for (; i < stop; ++i) {
        if (out[i] != '\n') out[i] = ' ';
      }
    }
  }
  return out;
}

// The arguments of the call whose '(' is at open, split at top-level `sep` characters.
std::vector<std::string> split_args(const std::string& s, std::size_t open, char sep) {
  std::vector<std::string> args(1);
  int depth = 0;
  for (std::size_t i = open + 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"' || c == '\'') {
      const std::size_t start = i;
      for (++i; i < s.size() && s[i] != c; ++i) {
        if (s[i] == '\\') ++i;
      }
      args.back() += s.substr(start, i - start + 1);
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') {
      if (depth == 0) return args;
      --depth;
    }
    if (c == sep && depth == 0) {
      args.emplace_back();
    } else {
      args.back() += c;
    }
  }
  return args;
}

std::string squeeze(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The text of an argument made only of adjacent string literals, or nullopt.
std::optional<std::string> literal_text(const std::string& arg) {
  std::string text;
  std::size_t i = 0;
  bool any = false;
  while (true) {
    while (i < arg.size() && std::isspace(static_cast<unsigned char>(arg[i]))) ++i;
    if (i == arg.size()) return any ? std::optional(text) : std::nullopt;
    if (arg[i] != '"') return std::nullopt;
    for (++i; i < arg.size() && arg[i] != '"'; ++i) {
      if (arg[i] == '\\' && i + 1 < arg.size()) {
        ++i;
        text += arg[i] == 'n' ? '\n' : arg[i] == 't' ? '\t' : arg[i];
      } else {
        text += arg[i];
      }
    }
    ++i;
    any = true;
  }
}

std::vector<part> parts_of(const std::vector<std::string>& args) {
  std::vector<part> parts;
  for (const auto& a : args) {
    if (auto t = literal_text(a)) {
      if (!parts.empty() && parts.back().literal) {
        parts.back().text += *t;
      } else {
        parts.push_back({true, *t});
      }
    } else {
      // Dereferences are dropped: <value>, not <*value>.
      std::string e = squeeze(a);
      e.erase(0, e.find_first_not_of('*'));
      parts.push_back({false, e});
    }
  }
  return parts;
}

bool is_call_of(const std::string& s, std::size_t at, std::string_view name, std::size_t& open) {
  if (s.compare(at, name.size(), name) != 0) return false;
  if (at > 0 && (std::isalnum(static_cast<unsigned char>(s[at - 1])) || s[at - 1] == '_')) return false;
  open = at + name.size();
  while (open < s.size() && std::isspace(static_cast<unsigned char>(s[open]))) ++open;
  return open < s.size() && s[open] == '(';
}

std::vector<site> source_sites() {
  const fs::path root(POSENC_SOURCE_DIR);
  std::vector<std::pair<fs::path, std::string>> files;  // path, section name
  for (const auto& e : fs::recursive_directory_iterator(root / "include")) {
    if (e.path().extension() == ".hpp") {
      files.emplace_back(e.path(), fs::relative(e.path(), root / "include").generic_string());
    }
  }
  for (const auto& e : fs::directory_iterator(root / "tools" / "posenc")) {
    if (e.path().extension() == ".cpp" || e.path().extension() == ".hpp") {
      files.emplace_back(e.path(), fs::relative(e.path(), root).generic_string());
    }
  }
  static const std::regex errc_arg(R"(^\s*(?:::)?(?:posenc::)?errc::(\w+)\s*$)");
  std::vector<site> sites;
  for (const auto& [path, section] : files) {
    const std::string s = strip_comments(read_text(path));
    for (std::size_t i = 0; i < s.size(); ++i) {
      std::size_t open = 0;
      if (is_call_of(s, i, "make_error", open)) {
        auto args = split_args(s, open, ',');
        std::smatch m;
        // Calls whose code is not an errc:: constant pass on another status's code and
        // message (with a prefix): they add no row.
        if (!std::regex_match(args[0], m, errc_arg)) continue;
        const auto code = errc_from_name(m[1].str());
        INFO(section << ": make_error(" << args[0]);
        REQUIRE(code);
        args.erase(args.begin());
        sites.push_back({section, *code, parts_of(args)});
      } else if (is_call_of(s, i, "fail", open) && s.compare(i - 7, 7, "status ") != 0) {
        sites.push_back({section, errc::parse_error, parts_of(split_args(s, open, '+'))});
      }
    }
  }
  return sites;
}

std::regex message_regex(const site& s) {
  std::string re;
  for (const auto& p : s.parts) {
    if (!p.literal) {
      re += "[\\s\\S]*";
      continue;
    }
    for (char c : p.text) {
      if (std::strchr(".^$|()[]{}*+?\\", c)) re += '\\';
      re += c;
    }
  }
  return std::regex(re);
}

std::set<doc_row> registered_rows() {
  std::set<doc_row> out;
  for (const auto& r : posenc::test::registry()) out.insert({r.file, r.code, r.message});
  return out;
}

std::string describe(const doc_row& r) {
  return r.file + " | " + std::string(posenc::errc_name(r.code)) + " | " + r.message;
}

}  // namespace

TEST_CASE("every make_error call site has a row in docs/errors.md, and every row a site",
          "[errors][table]") {
  std::set<doc_row> from_sources;
  for (const auto& s : source_sites()) from_sources.insert({s.file, s.code, s.rendered()});
  const auto rows = table_rows();
  const std::set<doc_row> from_table(rows.begin(), rows.end());
  CHECK(from_table.size() == rows.size());  // no row listed twice
  for (const auto& s : from_sources) {
    INFO("missing from docs/errors.md: " << describe(s));
    CHECK(from_table.count(s) == 1);
  }
  for (const auto& r : from_table) {
    INFO("in docs/errors.md but no longer in the sources: " << describe(r));
    CHECK(from_sources.count(r) == 1);
  }
}

TEST_CASE("every row of docs/errors.md has a registered test, and every test a row",
          "[errors][coverage]") {
  const auto rows = table_rows();
  const std::set<doc_row> from_table(rows.begin(), rows.end());
  const auto tested = registered_rows();
  for (const auto& r : from_table) {
    INFO("row without a test: " << describe(r));
    CHECK(tested.count(r) == 1);
  }
  for (const auto& r : tested) {
    INFO("test of a row that is not in docs/errors.md: " << describe(r));
    CHECK(from_table.count(r) == 1);
  }
}

TEST_CASE("each row's input fails with its code and message, naming the value, writing nothing",
          "[errors][behaviour]") {
  std::map<std::tuple<std::string, errc, std::string>, site> by_row;
  for (const auto& s : source_sites()) by_row.emplace(std::tuple(s.file, s.code, s.rendered()), s);
  for (const auto& row : posenc::test::registry()) {
    INFO(describe({row.file, row.code, row.message}));
    const auto s = by_row.find({row.file, row.code, row.message});
    if (s == by_row.end()) continue;  // reported by the table tests above
    if (!row.unreachable.empty()) {
      CHECK_FALSE(row.trigger);
      WARN("untriggerable: " << describe({row.file, row.code, row.message}) << " (" << row.unreachable << ")");
      continue;
    }
    REQUIRE(row.trigger);
    const auto o = row.trigger();
    INFO("got: " << o.message);
    if (o.code) {
      CHECK(posenc::errc_name(*o.code) == posenc::errc_name(row.code));
    } else {
      CHECK(o.exit_code == 2);
    }
    CHECK_FALSE(row.named.empty());
    CHECK_THAT(o.message, Contains(row.named));
    CHECK(std::regex_search(o.message, message_regex(s->second)));
    CHECK(o.untouched);
  }
}
