// What the build under test is, for the few checks that only mean something
// on the binary that ships.
#pragma once

namespace salesaudit::testing {

// Memory goals (peak or resident set size) hold for the plain build. Under
// AddressSanitizer (-DSALESAUDIT_SANITIZE=ON, scripts/test-sanitizers.sh)
// shadow memory and the quarantine of freed blocks (256 MiB) make the figure
// meaningless, so those checks apply to the plain suite only.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kMemoryGoalsApply = false;
#else
inline constexpr bool kMemoryGoalsApply = true;
#endif

}  // namespace salesaudit::testing
