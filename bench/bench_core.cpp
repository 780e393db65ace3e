// What the loader computes on every boot, measured on the host: decoding both state
// copies, parsing a typical config, the decision, and encoding the record to write.
// The loader's whole budget for this is well under a millisecond (docs/performance.md).
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "wdboot/boot_record.hpp"
#include "wdboot/config.hpp"
#include "wdboot/slot_policy.hpp"
#include "wdboot/state_store.hpp"

using namespace wdboot;

namespace {

std::string example_config() {
    std::ifstream f(WDBOOT_TEST_DATA "/configs/example.conf");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Config is ~19 KB: static, as in the loader.
Config g_cfg;

void load_config() {
    static std::string text = example_config();
    config_defaults(g_cfg);
    (void)parse_config(text.data(), text.size(), g_cfg);
    (void)finish_config(g_cfg);
}

BootState busy_state() {
    load_config();
    BootState st = BootState::empty();
    reconcile(g_cfg, st);
    BootFacts facts{ResetCause::watchdog, 1700000000};
    for (int i = 0; i < 40; ++i) {
        (void)account_previous_attempt(g_cfg, st, facts, nullptr);
        Decision d = choose(g_cfg, st, facts, BootSkips{});
        if (d.action == Action::boot_slot) (void)begin_attempt(st, d, facts);
    }
    return st;
}

void BM_decode_record(benchmark::State& state) {
    uint8_t bytes[kRecordSize];
    encode_record(busy_state(), bytes);
    for (auto _ : state) {
        BootState out;
        benchmark::DoNotOptimize(decode_record(bytes, sizeof(bytes), out));
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_decode_record);

void BM_encode_record(benchmark::State& state) {
    BootState st = busy_state();
    uint8_t bytes[kRecordSize];
    for (auto _ : state) {
        encode_record(st, bytes);
        benchmark::DoNotOptimize(bytes);
    }
}
BENCHMARK(BM_encode_record);

void BM_parse_example_config(benchmark::State& state) {
    std::string text = example_config();
    for (auto _ : state) {
        config_defaults(g_cfg);
        benchmark::DoNotOptimize(parse_config(text.data(), text.size(), g_cfg));
        benchmark::DoNotOptimize(finish_config(g_cfg));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_parse_example_config);

// The whole per-boot decision: reconcile, account, choose, begin the attempt, encode.
void BM_boot_decision(benchmark::State& state) {
    BootState start = busy_state();
    BootFacts facts{ResetCause::watchdog, 1700000000};
    uint8_t bytes[kRecordSize];
    for (auto _ : state) {
        BootState st = start;
        reconcile(g_cfg, st);
        (void)account_previous_attempt(g_cfg, st, facts, nullptr);
        Decision d = choose(g_cfg, st, facts, BootSkips{});
        if (d.action == Action::boot_slot) (void)begin_attempt(st, d, facts);
        encode_record(st, bytes);
        benchmark::DoNotOptimize(bytes);
    }
}
BENCHMARK(BM_boot_decision);

}  // namespace

BENCHMARK_MAIN();
