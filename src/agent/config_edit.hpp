// The wdboot.conf edits behind add-slot and remove-slot (and the check of the starter
// config), made on the text as the loader's parser sees it: which slots exist is the
// parser's slot table (Config::find), where a stanza starts and ends is its line range
// (SlotConfig::line .. last_line). So what the agent takes for a slot is what the loader
// boots, and a hand-written file keeps its other lines, comments and line ends.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "wdboot/config.hpp"

namespace wdboot::agent {

// Checks a whole config text with the loader's own parser (parse_config, finish_config)
// before it goes to the ESP. True when it has no error; otherwise `problems` gets one
// "line N: message" line per error. `parsed`, if given, receives the result.
bool check_config_text(const std::string& text, std::string& problems, std::unique_ptr<Config>* parsed = nullptr);

// True when the parser reads a stanza `slot NAME` from text (before finish_config, so
// also a slot it would drop later for the watchdog's sake).
bool has_slot(const std::string& text, const std::string& name);

// The text of a `slot` stanza (ESP paths already resolved); tries 0: no `tries` line.
std::string slot_stanza(const std::string& name, const std::string& image_key, const std::string& image,
                        const std::vector<std::string>& initrds, const std::string& options, unsigned tries,
                        bool rescue);

// text with `stanza` appended after a blank line (and a line end, if text lacks one).
std::string with_stanza(const std::string& text, const std::string& stanza);

// wdboot.conf text without the stanza of slot `name` (every one the parser would take
// for it, should the file name it twice); the text unchanged when there is none.
// Removed are the stanza's lines and the blank lines after it; at the end of the file
// the blank lines before it instead. Comments outside the stanza stay, e.g. one above
// the next stanza.
std::string without_stanza(const std::string& text, const std::string& name);

// wdboot.conf text with the stanzas of `names` moved, in that order, in front of every
// other stanza (each followed by a blank line); the other stanzas keep their order,
// comments outside the moved stanzas stay where they were. File order is the boot
// order after the defaults, so this is how a promotion puts the new default and then
// the previous one first. Names without a stanza are left out; the text is unchanged
// when there is nothing to move.
std::string with_stanzas_first(const std::string& text, const std::vector<std::string>& names);

// wdboot.conf text without its global `default` lines (the ones above the first `slot`
// line): all of them when `only` is empty, else those naming `only`. A `default`
// naming a removed slot would otherwise warn at every boot, and one naming an older
// slot would put it second after a promotion.
std::string without_default_lines(const std::string& text, const std::string& only = "");

}  // namespace wdboot::agent
