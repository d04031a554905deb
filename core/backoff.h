// Retry delays for the sync engine. Pure functions; thread-safe as long as
// each thread passes its own random engine.
#pragma once

#include <chrono>
#include <random>

namespace salesaudit {

// "Full jitter" exponential backoff: a delay drawn uniformly from
// [0, min(cap, base * 2^attempt)], attempt counting from 0. Spreading retries
// over the whole window keeps many clients that failed together (a 429 storm,
// a vendor outage) from retrying together.
std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, std::mt19937_64& rng);

}  // namespace salesaudit
