/* SPDX-License-Identifier: MIT */
/*
 * test_version.c - the version macros, midatlas_version() and the CMake
 * project version (passed in as MIDATLAS_PROJECT_VERSION) agree.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static void macros_spell_the_string(void **state)
{
    (void)state;
    char spelled[32];
    snprintf(spelled, sizeof spelled, "%d.%d.%d", MIDATLAS_VERSION_MAJOR, MIDATLAS_VERSION_MINOR,
             MIDATLAS_VERSION_PATCH);
    assert_string_equal(spelled, MIDATLAS_VERSION);
    assert_int_equal(MIDATLAS_VERSION_NUMBER, MIDATLAS_VERSION_MAJOR * 10000 +
                                                  MIDATLAS_VERSION_MINOR * 100 +
                                                  MIDATLAS_VERSION_PATCH);
}

static void runtime_matches_headers_and_cmake(void **state)
{
    (void)state;
    assert_non_null(midatlas_version());
    assert_string_equal(midatlas_version(), MIDATLAS_VERSION);
    assert_string_equal(midatlas_version(), MIDATLAS_PROJECT_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(macros_spell_the_string),
        cmocka_unit_test(runtime_matches_headers_and_cmake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
