// SPDX-License-Identifier: MIT
// cxx_header.cc - the public headers as a C++ program sees them: they
// compile clean under -Wall -Wextra -Wpedantic -Werror, and
// `midatlas_stats_t st{};` works although the function midatlas_stats and
// the struct share a name.
#include <midatlas.h>
#include <midatlas/midatlax.h>

#include <cstdio>
#include <cstring>

int main()
{
    midatlas *atlas = nullptr;
    if (midatlas_create(&atlas, 16, MIDATLAS_F_9P) != MIDATLAS_OK)
        return 1;
    int request = 7;
    uint16_t mid = 0;
    if (midatlas_associate(atlas, &request, &mid) != MIDATLAS_OK)
        return 1;

    midatlas_stats_t st{};
    midatlas_stats(atlas, &st);
    midatlas_stats_t ex{};
    size_t got = midatlas_stats_ex(atlas, &ex, sizeof ex);
    size_t seen = midatlas_foreach(atlas, nullptr, nullptr);
    midatlas_destroy(atlas, nullptr, nullptr);

    if (st.capacity != 16 || st.live != 1 || ex.live != 1 || got != sizeof ex || seen != 1 ||
        std::strcmp(midatlas_version(), MIDATLAS_VERSION) != 0) {
        std::fprintf(stderr, "cxx_header: wrong answers\n");
        return 1;
    }
    std::puts("cxx_header: ok");
    return 0;
}
