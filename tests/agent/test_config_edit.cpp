// wdboot.conf edits by the parser's own view of the stanzas (config_edit): which slots
// exist, a new stanza appended, a stanza removed by its line range with the comments
// and lines around it kept.
#include <catch2/catch.hpp>
#include <string>

#include "config_edit.hpp"

using namespace wdboot::agent;

namespace {

const std::string kGlobals = "# my machine\ntimeout 30\n";
const std::string kA = "slot a\n  linux \\a\n  options ro\n";
const std::string kB = "slot b\n  # b's own note\n  efi \\b.efi\n";
const std::string kC = "slot c\n  linux \\c\n";

}  // namespace

TEST_CASE("config_edit: removing a slot keeps the comment above the next stanza") {
    // The bug: the line-based remover deleted everything up to the next `slot` line.
    const std::string text = kGlobals + "\n" + kA + "\n# fallback: the kernel of last week\n" + kB;
    CHECK(without_stanza(text, "a") == kGlobals + "\n# fallback: the kernel of last week\n" + kB);
    // Without a blank line between the stanza and the comment, too.
    CHECK(without_stanza(kA + "# about b\n" + kB, "a") == "# about b\n" + kB);
}

TEST_CASE("config_edit: removing the first, a middle and the last slot") {
    const std::string text = kGlobals + "\n" + kA + "\n" + kB + "\n" + kC;
    CHECK(without_stanza(text, "a") == kGlobals + "\n" + kB + "\n" + kC);
    CHECK(without_stanza(text, "b") == kGlobals + "\n" + kA + "\n" + kC);  // its inner comment goes with it
    CHECK(without_stanza(text, "c") == kGlobals + "\n" + kA + "\n" + kB);  // and the blank line before it
    // Stanzas back to back, and the only slot of a file.
    CHECK(without_stanza(kA + kB + kC, "b") == kA + kC);
    CHECK(without_stanza(kA, "a").empty());
    // A trailing comment stays.
    CHECK(without_stanza(kA + "\n" + kC + "\n# end\n", "c") == kA + "\n" + "# end\n");
}

TEST_CASE("config_edit: no such slot leaves the text as it is") {
    const std::string text = kGlobals + kA + "# slot b\n";
    CHECK(without_stanza(text, "b") == text);
    CHECK(without_stanza(text, "") == text);
}

TEST_CASE("config_edit: a slot exists when the parser reads its stanza") {
    const std::string text = kGlobals + kA + "# slot b\n  options slot c\n" + "  slot   d  # indented\n  efi \\d.efi\n";
    CHECK(has_slot(text, "a"));
    CHECK(has_slot(text, "d"));
    CHECK_FALSE(has_slot(text, "b"));  // a comment
    CHECK_FALSE(has_slot(text, "c"));  // words of another line
    CHECK_FALSE(has_slot(text, "slot"));
    CHECK_FALSE(has_slot("slot e\n", "e"));  // no image: the parser drops it
}

TEST_CASE("config_edit: add-slot then remove-slot gives the file back") {
    const std::string stanza = slot_stanza("new", "linux", "\\EFI\\n\\vmlinuz", {"\\EFI\\n\\initrd.img"}, "root=/dev/vda2", 2, true);
    CHECK(stanza == "slot new\n    linux \\EFI\\n\\vmlinuz\n    initrd \\EFI\\n\\initrd.img\n"
                    "    options root=/dev/vda2\n    tries 2\n    rescue\n");
    for (const std::string& text : {kGlobals + "\n" + kA, kGlobals + kA + "\n# last\n"}) {
        const std::string added = with_stanza(text, stanza);
        CHECK(has_slot(added, "new"));
        CHECK(without_stanza(added, "new") == text);
    }
    // A file without a final line end gets one before the blank line.
    CHECK(with_stanza("slot a\n  linux \\a", stanza) == "slot a\n  linux \\a\n\n" + stanza);
}

TEST_CASE("config_edit: line ends and the byte order mark are the file's") {
    const std::string bom = "\xEF\xBB\xBF";
    const std::string crlf = "slot a\r\n  linux \\a\r\n\r\nslot b\r\n  linux \\b\r\n";
    CHECK(without_stanza(crlf, "a") == "slot b\r\n  linux \\b\r\n");
    CHECK(without_stanza(crlf, "b") == "slot a\r\n  linux \\a\r\n");
    CHECK(without_stanza(bom + crlf, "a") == bom + "slot b\r\n  linux \\b\r\n");
    CHECK(without_stanza(bom + crlf, "b") == bom + "slot a\r\n  linux \\a\r\n");
    CHECK(without_stanza("slot a\nlinux \\a\nslot b\nlinux \\b", "b") == "slot a\nlinux \\a\n");  // no final newline
}

TEST_CASE("config_edit: a name given twice is removed entirely") {
    // The parser drops the second stanza while the first exists; it would boot once the
    // first is gone, so both go.
    CHECK(without_stanza(kA + kB + "slot a\n  linux \\a2\n", "a") == kB);
}

TEST_CASE("config_edit: check_config_text lists the parser's errors by line") {
    std::string problems;
    CHECK(check_config_text(kA, problems));
    CHECK(problems.empty());
    CHECK_FALSE(check_config_text(kA + "bogus 1\n", problems));
    CHECK(problems == "line 4: unknown key 'bogus'\n");
}
