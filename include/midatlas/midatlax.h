/* SPDX-License-Identifier: MIT */
/**
 * @file midatlas/midatlax.h
 * @brief The Windows RDBSS MID atlas routines on top of midatlas.
 *
 * @verbatim
 * midatlas/midatlax.h - the Windows RDBSS MID atlas routines (midatlax.h, 1995)
 * on top of midatlas, for code written against the RDBSS names.
 *
 * ================================ The routines ===============================
 *
 *   RxCreateMidAtlas(Maximum, Initial)   a new atlas of Maximum (1..65535) MIDs,
 *       or NULL when Maximum is 0 or memory runs out.  InitialAllocation is a
 *       hint: the original clamped it to Maximum and grew its table from there;
 *       midatlas allocates every slot up front (8 bytes per MID, 512 KiB at
 *       65535), so any Initial, 0 or above Maximum included, is accepted and
 *       gives the same atlas.
 *   RxDestroyMidAtlas(a, Destructor)     calls Destructor(ctx) once for every
 *       live context (Destructor may be NULL), then frees the atlas.
 *   RxIterateMidAtlasAndRemove(a, It)    dissociates each live MID and then
 *       calls It(ctx) for its context; the atlas stays usable (empty) after.
 *       It may be NULL (the contexts are then only dropped).  A context It
 *       associates again (a request to resend) may be dissociated by the
 *       same walk and passed to It once more: associate again after the
 *       call returns.
 *   RxMapMidToContext(a, Mid)            the context of Mid, or NULL for any
 *       MID without one.
 *   RxAssociateContextWithMid(a, Ctx, &Mid)  STATUS_SUCCESS and a new MID in
 *       *NewMid; STATUS_UNSUCCESSFUL at once when no MID is free (it never
 *       waits) or the atlas was closed (midatlas_close); STATUS_INVALID_PARAMETER
 *       for a NULL atlas, context or NewMid, or a context midatlas cannot
 *       store (above 48 bits, see midatlas.h).
 *   RxMapAndDissociateMidFromContext(a, Mid, &Ctx)  ends Mid's association
 *       and returns its context in *ContextPointer.
 *   RxReassociateMid(a, Mid, NewCtx)     binds a live Mid to NewContext; the
 *       MID keeps its value (the hand-over of a finishing request's MID to the
 *       oldest waiting request, so the MID is never free in between).
 *   RxGetMaximumNumberOfMids(a)          Maximum as passed to create (USHORT).
 *   RxGetNumberOfMidsInUse(a)            MIDs associated right now (USHORT).
 *
 * ============================ Documented oddities ============================
 *
 *   - RxMapAndDissociateMidFromContext returns STATUS_SUCCESS always, as the
 *     original is documented to: for a MID without a context (never handed
 *     out, already dissociated, stale, out of range) *ContextPointer is NULL
 *     and nothing changes.  (A stale MID - a late reply for a finished
 *     request - gets NULL here; the original handed it the context of
 *     whatever request held the same slot by then.)  The one exception is a
 *     NULL ContextPointer, which the original would write through: here it
 *     returns STATUS_INVALID_PARAMETER and nothing changes.
 *   - RxReassociateMid returns STATUS_INVALID_PARAMETER (and changes nothing)
 *     for a MID without a context or a NULL NewContext.  Its documentation page
 *     is wrong twice: it calls pNewContext an output ("will hold the new
 *     context on exit"; it is an input) and says "the returned pNewMid can be
 *     NULL", but there is no pNewMid parameter.
 *   - The RxMapAndDissociateMidFromContext documentation page names the wrong
 *     function in its text; the behaviour here is the one described above.
 *
 * ================================ Thread safety ==============================
 *
 *   The originals have no lock: every caller wraps every call, lookups
 *   included, in its own mutex or spin lock.  These need none: every routine
 *   except create and destroy may run on any number of threads at once on the
 *   same atlas, with midatlas's guarantees (midatlas.h, "Concurrency
 *   contract"): map is wait-free, the rest lock-free, and when several threads
 *   map-and-dissociate (or iterate-and-remove) the same MID exactly one of them
 *   gets the context.  Create and destroy follow midatlas_create/destroy:
 *   publish the atlas after create returns, destroy it only once no other call
 *   runs or will follow.  No routine here waits for a MID (none calls
 *   midatlas_associate_wait), so unless the caller adds waiters itself an
 *   RDBSS atlas has none and midatlas's wait-queue lock is never taken.  The
 *   two macros are exact when no other call runs and a momentary
 *   approximation otherwise.  What map returns may be taken by a concurrent
 *   map-and-dissociate the moment after; midatlas.h says when such a context
 *   may be freed.
 *
 * ================================ NULL atlas =================================
 *
 *   No routine crashes on a NULL atlas; it behaves as an atlas that can hold
 *   nothing: create of such is impossible, destroy and iterate do nothing, map
 *   returns NULL, map-and-dissociate STATUS_SUCCESS and NULL (its "MID without
 *   a context" answer), associate and reassociate STATUS_INVALID_PARAMETER, and
 *   both macros 0.
 *
 * ======================= RDBSS names -> midatlas calls =======================
 *
 *   RxCreateMidAtlas                  midatlas_create(capacity = Maximum,
 *                                                      MIDATLAS_F_NO_FFFF)
 *   RxDestroyMidAtlas                 midatlas_destroy
 *   RxIterateMidAtlasAndRemove        midatlas_drain
 *   RxMapMidToContext                 midatlas_map
 *   RxAssociateContextWithMid         midatlas_associate (EFULL, ECLOSED ->
 *                                     STATUS_UNSUCCESSFUL, EINVAL ->
 *                                     STATUS_INVALID_PARAMETER)
 *   RxMapAndDissociateMidFromContext  midatlas_dissociate (any failure ->
 *                                     STATUS_SUCCESS and NULL)
 *   RxReassociateMid                  midatlas_reassociate (any failure ->
 *                                     STATUS_INVALID_PARAMETER)
 *   RxGetMaximumNumberOfMids          midatlas_capacity
 *   RxGetNumberOfMidsInUse            midatlas_stats().live
 *
 *   PRX_MID_ATLAS is a struct midatlas *, so the midatlas calls work on an
 *   RDBSS atlas too (midatlas_lookup for the full answer about a MID,
 *   midatlas_discard/release for abandoned requests, midatlas_stats).  They
 *   keep their own contracts; midatlas_associate_wait on an RDBSS atlas
 *   brings midatlas's waiter rules with it (see midatlas.h).
 *
 *   Flags: MIDATLAS_F_NO_FFFF only.  The original's MIDs are slot positions
 *   below Maximum <= 65535, so it never hands out 0xFFFF (also SMB1's
 *   oplock-break MID, which must never be mistaken for a reply) and it does
 *   hand out 0x0000.  NO_FFFF keeps both properties and never costs a slot:
 *   0xFFFF's index bits (all ones) are out of range unless Maximum is a power
 *   of two, and then reserving it skips one generation of the last slot; at
 *   Maximum 1 MIDs stop at 0x7FFF anyway.  So all Maximum MIDs can be live at
 *   once.  MIDATLAS_F_SMB1 would also skip 0x0000, which at Maximum 65535
 *   leaves 65534 usable MIDs and breaks RxGetMaximumNumberOfMids's promise.
 *   Unlike the original, MIDs carry midatlas's generation bits (see "MID
 *   layout" in midatlas.h), so a late reply for an old request maps to NULL
 *   instead of to the request that now holds the same slot; callers never see
 *   the difference except that MID values are not necessarily below Maximum.
 *
 *   The seven routines make no tombstones (RDBSS's "discarded" MIDs were the
 *   caller's business); code that wants them calls midatlas_discard and
 *   midatlas_release on the same atlas (above).  A tombstone is not "in use"
 *   for RxGetNumberOfMidsInUse, maps to NULL, and iterate-and-remove releases
 *   it (midatlas_drain does).
 *
 * ========================= Types and Windows headers =========================
 *
 *   USHORT, PUSHORT, PVOID, VOID, NTSTATUS, PRX_MID_ATLAS, PCONTEXT_DESTRUCTOR
 *   and PCONTEXT_ITERATOR are defined here unless already defined, and the
 *   STATUS_* codes each under #ifndef.  C cannot ask whether a typedef exists,
 *   so each type has a switch macro; define it before including this header
 *   when your headers already provide the type:
 *
 *     MIDATLAX_HAVE_USHORT     USHORT and PUSHORT  (also skipped if BASETYPES,
 *                                                   the Windows SDK's guard
 *                                                   for them, is defined)
 *     MIDATLAX_HAVE_PVOID      PVOID               (skipped if _WINNT_ or
 *                                                   _NTDEF_ is defined)
 *     VOID                     is a macro, as in the Windows headers: an
 *                              existing VOID is kept
 *     MIDATLAX_HAVE_NTSTATUS   NTSTATUS            (skipped if _NTDEF_ is
 *                                                   defined)
 *     MIDATLAX_HAVE_CONTEXT_FNS       PCONTEXT_DESTRUCTOR, PCONTEXT_ITERATOR
 *     MIDATLAX_HAVE_PRX_MID_ATLAS     RX_MID_ATLAS, PRX_MID_ATLAS; yours must
 *                                     be struct midatlas and a pointer to it
 *     MIDATLAX_NO_WINDOWS_TYPES       all of USHORT, PUSHORT, PVOID, NTSTATUS
 *
 *   A Windows-header user defines MIDATLAX_NO_WINDOWS_TYPES (the simplest), or
 *   includes the Windows headers first: the SDK guards named above are
 *   detected, a convenience checked here only against a simulation of those
 *   headers (tests/rdbss/guard_cases.c), not the SDK itself.  On _WIN32 the
 *   types are spelled as the SDK spells them (NTSTATUS is long), so in C11 and
 *   C++ an identical second typedef is harmless whichever header comes first.
 *   Each switch is defined here after the type, so other headers can test it.
 *   The types given must match these in size and meaning (NTSTATUS a 32-bit
 *   signed integer, USHORT 16-bit unsigned): the library is compiled with
 *   these, and src/midatlax.c checks the sizes.
 * @endverbatim
 */
#ifndef MIDATLAS_MIDATLAX_H
#define MIDATLAS_MIDATLAX_H

#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------- types --------------------------------- */

#if defined(MIDATLAX_NO_WINDOWS_TYPES)
#ifndef MIDATLAX_HAVE_USHORT
#define MIDATLAX_HAVE_USHORT 1
#endif
#ifndef MIDATLAX_HAVE_PVOID
#define MIDATLAX_HAVE_PVOID 1
#endif
#ifndef MIDATLAX_HAVE_NTSTATUS
#define MIDATLAX_HAVE_NTSTATUS 1
#endif
#endif

#if !defined(MIDATLAX_HAVE_USHORT) && !defined(BASETYPES)
/** A MID and a count, as RDBSS spells a 16-bit unsigned integer. */
typedef unsigned short USHORT;
/** Where RxAssociateContextWithMid stores the new MID. */
typedef USHORT *PUSHORT;
#endif
#ifndef MIDATLAX_HAVE_USHORT
/** Defined once USHORT and PUSHORT exist (define it first to bring your own). */
#define MIDATLAX_HAVE_USHORT 1
#endif

#if !defined(MIDATLAX_HAVE_PVOID) && !defined(_WINNT_) && !defined(_NTDEF_)
/** A request context, as RDBSS spells void *. */
typedef void *PVOID;
#endif
#ifndef MIDATLAX_HAVE_PVOID
/** Defined once PVOID exists (define it first to bring your own). */
#define MIDATLAX_HAVE_PVOID 1
#endif

#ifndef VOID
/** void, as RDBSS spells it. */
#define VOID void
#endif

#if !defined(MIDATLAX_HAVE_NTSTATUS) && !defined(_NTDEF_)
#if defined(_WIN32)
/** The result of the RDBSS routines: STATUS_SUCCESS or a negative error. */
typedef long NTSTATUS; /* the SDK's LONG: 32 bits on Windows */
#else
/** The result of the RDBSS routines: STATUS_SUCCESS or a negative error. */
typedef int32_t NTSTATUS;
#endif
#endif
#ifndef MIDATLAX_HAVE_NTSTATUS
/** Defined once NTSTATUS exists (define it first to bring your own). */
#define MIDATLAX_HAVE_NTSTATUS 1
#endif

#ifndef MIDATLAX_HAVE_CONTEXT_FNS
/** RxDestroyMidAtlas's callback: called with a context that has left the
 *  atlas; the callee owns it. */
typedef VOID (*PCONTEXT_DESTRUCTOR)(PVOID Context);
/** RxIterateMidAtlasAndRemove's callback, the same shape. */
typedef VOID (*PCONTEXT_ITERATOR)(PVOID Context);
/** Defined once the two callback types exist. */
#define MIDATLAX_HAVE_CONTEXT_FNS 1
#endif

#ifndef MIDATLAX_HAVE_PRX_MID_ATLAS
/* An RDBSS atlas is a midatlas atlas (opaque, see midatlas.h). */
struct midatlas;
/** An RDBSS atlas: a midatlas atlas, so midatlas calls work on it too. */
typedef struct midatlas RX_MID_ATLAS;
/** A pointer to an RDBSS atlas. */
typedef struct midatlas *PRX_MID_ATLAS;
/** Defined once RX_MID_ATLAS and PRX_MID_ATLAS exist. */
#define MIDATLAX_HAVE_PRX_MID_ATLAS 1
#endif

/* --------------------------------- statuses ------------------------------- */

/* NT_SUCCESS(s) is s >= 0: the errors are negative.  No routine here returns
 * STATUS_INSUFFICIENT_RESOURCES; it is what RDBSS callers report when
 * RxCreateMidAtlas gives NULL. */

#ifndef STATUS_SUCCESS
/** Success. */
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#endif
#ifndef STATUS_UNSUCCESSFUL
/** RxAssociateContextWithMid: no MID is free. */
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#endif
#ifndef STATUS_INVALID_PARAMETER
/** A NULL or unusable argument, or a MID without a context. */
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#endif
#ifndef STATUS_INSUFFICIENT_RESOURCES
/** What RDBSS callers report when RxCreateMidAtlas returns NULL. */
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#endif

/* -------------------------------- routines -------------------------------- */

/** @brief A new atlas of MaximumNumberOfEntries (1..65535) MIDs, or NULL when
 *  it is 0 or memory runs out; InitialAllocation is only a hint. */
MIDATLAS_API PRX_MID_ATLAS RxCreateMidAtlas(USHORT MaximumNumberOfEntries,
                                            USHORT InitialAllocation);
/** @brief Call ContextDestructor (may be NULL) once for every live context,
 *  then free the atlas. */
MIDATLAS_API VOID RxDestroyMidAtlas(PRX_MID_ATLAS MidAtlas, PCONTEXT_DESTRUCTOR ContextDestructor);
/** @brief Dissociate each live MID, then call ContextIterator (may be NULL)
 *  with its context; the atlas stays usable. */
MIDATLAS_API VOID RxIterateMidAtlasAndRemove(PRX_MID_ATLAS MidAtlas,
                                             PCONTEXT_ITERATOR ContextIterator);
/** @brief The context of Mid, or NULL for any MID without one. */
MIDATLAS_API PVOID RxMapMidToContext(PRX_MID_ATLAS MidAtlas, USHORT Mid);
/** @brief STATUS_SUCCESS and a new MID in *NewMid; STATUS_UNSUCCESSFUL when
 *  none is free (never waits); STATUS_INVALID_PARAMETER for a NULL atlas,
 *  Context or NewMid, or a Context that does not fit in 48 bits. */
MIDATLAS_API NTSTATUS RxAssociateContextWithMid(PRX_MID_ATLAS MidAtlas, PVOID Context,
                                                PUSHORT NewMid);
/** @brief End Mid's association; its context, or NULL when it had none (and
 *  nothing changed), goes to *ContextPointer.  Always STATUS_SUCCESS. */
MIDATLAS_API NTSTATUS RxMapAndDissociateMidFromContext(PRX_MID_ATLAS MidAtlas, USHORT Mid,
                                                       PVOID *ContextPointer);
/** @brief Bind live Mid to NewContext, keeping its value: STATUS_SUCCESS, or
 *  STATUS_INVALID_PARAMETER (and no change) for a MID without a context or a
 *  NULL NewContext. */
MIDATLAS_API NTSTATUS RxReassociateMid(PRX_MID_ATLAS MidAtlas, USHORT Mid, PVOID NewContext);

/* What the two macros call (0 for a NULL atlas).  The originals read struct
 * fields; these are functions because the atlas is opaque and the in-use
 * count is summed from midatlas's statistics rather than kept in a shared
 * counter every associate would have to write. */
/** @brief MaximumNumberOfEntries as passed to RxCreateMidAtlas (0 for NULL);
 *  what RxGetMaximumNumberOfMids() calls. */
MIDATLAS_API USHORT midatlax_maximum_mids(PRX_MID_ATLAS MidAtlas);
/** @brief MIDs associated right now (0 for NULL); what
 *  RxGetNumberOfMidsInUse() calls. */
MIDATLAS_API USHORT midatlax_mids_in_use(PRX_MID_ATLAS MidAtlas);

/** The maximum number of MIDs of an atlas (USHORT). */
#define RxGetMaximumNumberOfMids(MidAtlas) midatlax_maximum_mids(MidAtlas)
/** The number of MIDs in use right now (USHORT). */
#define RxGetNumberOfMidsInUse(MidAtlas) midatlax_mids_in_use(MidAtlas)

#ifdef __cplusplus
}
#endif

#endif /* MIDATLAS_MIDATLAX_H */
