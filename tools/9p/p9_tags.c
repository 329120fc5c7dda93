/* SPDX-License-Identifier: MIT */
/*
 * p9_tags.c - choose the tag table by name (see p9_tags.h).
 */
#include "p9_tags.h"

#include <errno.h>
#include <string.h>

extern const struct p9_tags_ops p9_tags_midatlas_ops;
extern const struct p9_tags_ops p9_tags_impl_ops;
int p9_tags_midatlas_create(uint32_t capacity, void **t);
int p9_tags_impl_create(const char *name, uint32_t capacity, void **t);

char p9_reserved_marker;

int p9_tags_open(struct p9_tags *tags, const char *atlas, uint32_t capacity)
{
    int rc;
    if (!atlas || strcmp(atlas, "midatlas") == 0) {
        rc = p9_tags_midatlas_create(capacity, &tags->t);
        tags->ops = &p9_tags_midatlas_ops;
    } else {
        rc = p9_tags_impl_create(atlas, capacity, &tags->t);
        tags->ops = &p9_tags_impl_ops;
    }
    if (rc != 0)
        tags->ops = NULL;
    return rc;
}

void p9_tags_close(struct p9_tags *tags)
{
    if (tags->ops)
        tags->ops->destroy(tags->t);
    tags->ops = NULL;
    tags->t = NULL;
}

struct midatlas *p9_tags_midatlas(const struct p9_tags *tags)
{
    return tags->ops == &p9_tags_midatlas_ops ? tags->t : NULL;
}
