// ESP paths as wdboot.conf, `config=` and the agent's agent.conf write them: one rule,
// so that a path one side accepts the other accepts too. Syntax: docs/config.md, "Paths".
#include "config_parser.hpp"
#include "wdboot/config.hpp"

namespace wdboot {
namespace config_parser {
namespace {

constexpr size_t kPathChars = kPathMax - 1;

bool is_separator(char c) { return c == '/' || c == '\\'; }

}  // namespace

bool normalise_path(Span s, char (&dst)[kPathMax], Message& why) {
    dst[0] = '\0';
    if (s.empty()) {
        why.append("path is empty");
        return false;
    }
    if (!is_separator(s.p[0])) {
        why.append("path must start with '\\' or '/', got ");
        append_quoted(why, s);
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < s.n; ++i) {
        char c = s.p[i];
        if (!is_ascii_printable(c) || c == ' ') {
            why.append("path must be printable ASCII without spaces, got ");
            append_quoted(why, s);
            dst[0] = '\0';
            return false;
        }
        if (c == '"' || c == '*' || c == ':' || c == '<' || c == '>' || c == '?' || c == '|') {
            why.appendf("path contains '%c', which FAT does not allow", c);
            dst[0] = '\0';
            return false;
        }
        if (is_separator(c)) {
            if (n > 0 && dst[n - 1] == '\\') continue;
            c = '\\';
        }
        if (n >= kPathChars) {
            why.appendf("path is too long (at most %lu characters)", kPathChars);
            dst[0] = '\0';
            return false;
        }
        dst[n++] = c;
    }
    dst[n] = '\0';
    if (dst[n - 1] == '\\') {
        why.append("path names a directory, not a file: ");
        append_quoted(why, s);
        dst[0] = '\0';
        return false;
    }
    return true;
}

}  // namespace config_parser

using namespace config_parser;

bool normalise_esp_path(const char* text, size_t len, char (&out)[kPathMax], char* why, size_t why_cap) {
    Message m;
    bool ok = normalise_path(Span{text, text != nullptr ? len : 0}, out, m);
    if (!ok && why != nullptr) (void)text_copy(why, why_cap, m.c_str());
    return ok;
}

}  // namespace wdboot
