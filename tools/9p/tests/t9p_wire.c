/* SPDX-License-Identifier: MIT */
/*
 * t9p_wire.c - the 9P byte layout: exact bytes of known messages, and every
 * decoder refusing bodies of the wrong shape (short, long, over the limit).
 */
#include <string.h>

#include "p9_check.h"
#include "p9_wire.h"

static void test_tversion_bytes(void)
{
    uint8_t b[64];
    /* size 21 = 7 + msize 4 + len 2 + "9P2000.L" 8 */
    static const uint8_t want[] = {21, 0, 0, 0, 100, 0xFF, 0xFF, 0x18, 0x20, 0, 0,
                                   8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L'};
    size_t n = p9_build_version(b, sizeof b, 8192 + 24, "9P2000.L");
    CHECK(n == sizeof want && memcmp(b, want, n) == 0, "Tversion bytes, n=%zu", n);
}

static void test_builders(void)
{
    uint8_t b[256];
    size_t n = p9_build_read(b, sizeof b, 0x1234, 7, 0x0102030405060708ull, 4096);
    CHECK(n == 7 + 4 + 8 + 4, "Tread size %zu", n);
    CHECK(p9_get_le32(b) == n && b[4] == P9_TREAD && p9_get_le16(b + 5) == 0x1234, "Tread hdr");
    CHECK(p9_get_le32(b + 7) == 7 && b[11] == 8 && b[18] == 1 && p9_get_le32(b + 19) == 4096,
          "Tread body");
    n = p9_build_flush(b, sizeof b, 3, 0xBEEF);
    CHECK(n == 9 && b[4] == P9_TFLUSH && p9_get_le16(b + 7) == 0xBEEF, "Tflush");
    const char *names[] = {"a", "bc"};
    n = p9_build_walk(b, sizeof b, 1, 2, 3, 2, names);
    CHECK(n == 7 + 4 + 4 + 2 + 3 + 4, "Twalk size %zu", n);
    n = p9_build_getattr(b, sizeof b, 1, 2, P9_GETATTR_BASIC);
    CHECK(n == 7 + 4 + 8 && b[4] == P9_TGETATTR, "Tgetattr");
    n = p9_build_attach(b, sizeof b, 1, 0, "root", "/tmp/x", 0);
    CHECK(n == 7 + 4 + 4 + 6 + 8 + 4 && p9_get_le32(b + 11) == P9_NOFID, "Tattach %zu", n);
    CHECK(p9_build_clunk(b, sizeof b, 1, 9) == 11, "Tclunk");
    CHECK(p9_build_lopen(b, sizeof b, 1, 9, 0) == 15, "Tlopen");
    /* Overflow: the builder says 0, never writes past cap. */
    memset(b, 0xAA, sizeof b);
    CHECK(p9_build_read(b, 10, 1, 1, 1, 1) == 0, "overflow not reported");
    CHECK(b[10] == 0xAA, "wrote past cap");
    CHECK(p9_build_walk(b, sizeof b, 1, 2, 3, P9_MAXWELEM + 1, names) == 0, "nwname limit");
}

static void test_read_decoder(void)
{
    uint8_t body[4 + 8];
    uint32_t count;
    const uint8_t *data;
    p9_put_le32(body, 8);
    memcpy(body + 4, "abcdefgh", 8);
    CHECK(p9_parse_read(body, sizeof body, 8, &count, &data) && count == 8 &&
              memcmp(data, "abcdefgh", 8) == 0, "Rread ok");
    CHECK(!p9_parse_read(body, sizeof body, 7, &count, &data), "count above what was asked");
    CHECK(!p9_parse_read(body, sizeof body - 1, 8, &count, &data), "body shorter than count");
    p9_put_le32(body, 4);
    CHECK(!p9_parse_read(body, sizeof body, 8, &count, &data), "body longer than count");
    CHECK(!p9_parse_read(body, 3, 8, &count, &data), "no count");
    p9_put_le32(body, 0xFFFFFFFFu);
    CHECK(!p9_parse_read(body, sizeof body, 0xFFFFFFFFu, &count, &data), "huge count");
}

static void test_other_decoders(void)
{
    uint8_t b[256] = {0};
    struct p9_attr a;
    struct p9_qid q[P9_MAXWELEM];
    uint16_t nq;
    uint32_t e, io;
    CHECK(p9_parse_getattr(b, P9_GETATTR_BODYSZ, &a), "Rgetattr ok");
    CHECK(!p9_parse_getattr(b, P9_GETATTR_BODYSZ - 1, &a), "Rgetattr short");
    CHECK(!p9_parse_getattr(b, P9_GETATTR_BODYSZ + 1, &a), "Rgetattr long");
    p9_put_le16(b, 2);
    CHECK(p9_parse_walk(b, 2 + 2 * P9_QIDSZ, 2, &nq, q) && nq == 2, "Rwalk ok");
    CHECK(!p9_parse_walk(b, 2 + 2 * P9_QIDSZ, 1, &nq, q), "Rwalk more qids than names");
    CHECK(!p9_parse_walk(b, 2 + P9_QIDSZ, 2, &nq, q), "Rwalk short");
    p9_put_le16(b, 0xFFFF);
    CHECK(!p9_parse_walk(b, sizeof b, 0xFFFF, &nq, q), "Rwalk huge nwqid");
    /* 17 qids, whatever the caller allowed: no Rwalk holds more than
     * P9_MAXWELEM, and qids has room for that many (a receiver's reply
     * struct on its stack).  Decoded into a larger array, so that the old
     * decoder fails here rather than writing past q. */
    {
        uint8_t big[2 + (P9_MAXWELEM + 1) * P9_QIDSZ] = {0};
        struct p9_qid roomy[2 * P9_MAXWELEM];
        p9_put_le16(big, P9_MAXWELEM + 1);
        CHECK(!p9_parse_walk(big, sizeof big, 2 * P9_MAXWELEM, &nq, roomy),
              "Rwalk of %u qids", P9_MAXWELEM + 1);
        p9_put_le16(big, P9_MAXWELEM);
        CHECK(p9_parse_walk(big, sizeof big - P9_QIDSZ, 2 * P9_MAXWELEM, &nq, roomy) &&
                  nq == P9_MAXWELEM, "Rwalk of %u qids", P9_MAXWELEM);
    }
    CHECK(p9_parse_lerror(b, 4, &e) && !p9_parse_lerror(b, 5, &e), "Rlerror");
    CHECK(p9_parse_lopen(b, 17, &q[0], &io) && !p9_parse_lopen(b, 16, &q[0], &io), "Rlopen");
    CHECK(p9_parse_qid_reply(b, 13, &q[0]) && !p9_parse_qid_reply(b, 14, &q[0]), "Rattach");
    /* Rversion: string length beyond the body. */
    uint32_t msize;
    char v[16];
    p9_put_le32(b, 8192);
    p9_put_le16(b + 4, 200);
    CHECK(!p9_parse_version(b, 4 + 2 + 8, &msize, v, sizeof v), "Rversion string overrun");
    p9_put_le16(b + 4, 8);
    memcpy(b + 6, "9P2000.L", 8);
    CHECK(p9_parse_version(b, 14, &msize, v, sizeof v) && strcmp(v, "9P2000.L") == 0 &&
              msize == 8192, "Rversion ok");
    CHECK(!p9_parse_version(b, 14, &msize, v, 8), "Rversion no room for NUL");
}

int main(void)
{
    test_tversion_bytes();
    test_builders();
    test_read_decoder();
    test_other_decoders();
    printf("t9p_wire: ok\n");
    return 0;
}
