/* SPDX-License-Identifier: MIT */
/* strerror.c - a fixed message for every status. */
#include "midatlas.h"

const char *midatlas_strerror(int status)
{
    switch (status) {
    case MIDATLAS_OK: return "success";
    case MIDATLAS_EINVAL: return "invalid argument";
    case MIDATLAS_EFULL: return "no free MID: every slot is live, discarded or held by a call in progress";
    case MIDATLAS_ERANGE: return "MID out of range or reserved";
    case MIDATLAS_EFREE: return "MID is not associated (its slot is free)";
    case MIDATLAS_ESTALE: return "stale MID: the slot belongs to another generation";
    case MIDATLAS_EDISCARDED: return "MID is discarded (a tombstone awaiting release)";
    case MIDATLAS_EMISMATCH: return "context does not match the expected one";
    case MIDATLAS_EBUSY: return "MID is live, not discarded";
    case MIDATLAS_ENOMEM: return "out of memory";
    case MIDATLAS_ETIMEDOUT: return "timed out waiting for a MID";
    case MIDATLAS_ECLOSED: return "the atlas is closed (or was drained while the call waited)";
    default: return "unknown midatlas status";
    }
}
