// What one scenario found: a log of what it did and measured, and the expectations
// that failed. Each scenario runs in its own thread with its own Check; main prints
// the logs in order once all have finished.
#pragma once
#include <cstdarg>
#include <cstdio>
#include <string>
#include <utility>

namespace wdboot::qtest {

class Check {
public:
    explicit Check(std::string name) : name_(std::move(name)) {}

    void note(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        char line[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        log_ += std::string("  ") + line + "\n";
    }
    void expect(bool ok, const char* what, const char* file, int line) {
        if (ok) return;
        ++failures_;
        note("FAIL (%s:%d): %s", file, line, what);
    }

    const std::string& name() const { return name_; }
    const std::string& log() const { return log_; }
    int failures() const { return failures_; }

private:
    std::string name_;
    std::string log_;
    int failures_ = 0;
};

#define EXPECT(check, cond) (check).expect(static_cast<bool>(cond), #cond, __FILE_NAME__, __LINE__)

}  // namespace wdboot::qtest
