/* SPDX-License-Identifier: MIT */
/*
 * fuzz_input.h - reading the fuzzer's bytes as a stream of small numbers.
 *
 * Reading past the end yields zeros instead of failing, so every prefix of an
 * input is itself a valid input and libFuzzer's mutations (truncation,
 * insertion) always decode to some call sequence.
 */
#ifndef MIDATLAS_FUZZ_INPUT_H
#define MIDATLAS_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct input {
    const uint8_t *p;
    size_t left;
};

static inline bool input_more(const struct input *in)
{
    return in->left > 0;
}

static inline uint8_t input_u8(struct input *in)
{
    if (in->left == 0)
        return 0;
    in->left--;
    return *in->p++;
}

static inline uint16_t input_u16(struct input *in)
{
    uint16_t hi = input_u8(in);
    return (uint16_t)(hi << 8 | input_u8(in));
}

#endif
