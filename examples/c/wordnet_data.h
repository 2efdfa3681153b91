/* wordnet_data.h: the built-in WordNet corpus of the C tutorials (examples/data/wordnet, see
 * docs/demo.md) and its documented split, the same rule as examples/python/wordnet_data.py:
 *   - classes 0-59 are known at v1, 60-119 are added at v2, 120-179 are never trained on;
 *   - within each class, in file order, every fifth item (position 0, 5, 10, ...) is a query and
 *     the others are gallery items; a version trains on the gallery items of the classes it knows;
 *   - per_class keeps only the first per_class items of each class (a small, fast slice).
 * Header only; reads the .npy files with npy_read.h. */
#ifndef STASIS_EXAMPLE_WORDNET_DATA_H
#define STASIS_EXAMPLE_WORDNET_DATA_H

#include "npy_read.h"

#define V1_CLASSES 60  /* classes 0..59: known at v1 */
#define V2_CLASSES 120 /* classes 0..119: known at v2 (60 added) */

typedef struct corpus {
    int64_t n;          /* items in the files */
    int64_t* labels;    /* n class indices */
    npy_matrix old;     /* n x 256 WordLlama features, float32 */
    npy_matrix new_;    /* n x 384 MiniLM features, float32 */
    int64_t* queries;   /* row numbers of the queries, file order */
    int64_t n_queries;
    int64_t* gallery;   /* row numbers of the gallery items, file order */
    int64_t n_gallery;
} corpus;

static inline void corpus_free(corpus* c) {
    free(c->labels);
    free(c->old.values);
    free(c->new_.values);
    free(c->queries);
    free(c->gallery);
    memset(c, 0, sizeof *c);
}

/* Loads labels.npy, wordllama.npy and minilm.npy from `folder` and applies the split. */
static inline int corpus_load(const char* folder, int64_t per_class, corpus* c, char* error, size_t size) {
    memset(c, 0, sizeof *c);
    char path[4096];
    snprintf(path, sizeof path, "%s/labels.npy", folder);
    if (npy_read_int64(path, &c->labels, &c->n, error, size) != 0) return -1;
    snprintf(path, sizeof path, "%s/wordllama.npy", folder);
    if (npy_read_matrix(path, &c->old, error, size) != 0) goto fail;
    snprintf(path, sizeof path, "%s/minilm.npy", folder);
    if (npy_read_matrix(path, &c->new_, error, size) != 0) goto fail;
    if (c->old.rows != c->n || c->new_.rows != c->n) {
        npy_fail(error, size, "%s: %lld labels but %lld and %lld feature rows", folder, (long long)c->n,
                 (long long)c->old.rows, (long long)c->new_.rows);
        goto fail;
    }
    int64_t classes = 0;
    for (int64_t i = 0; i < c->n; i++) {
        if (c->labels[i] < 0 || c->labels[i] >= 1000000) {
            npy_fail(error, size, "%s: label %lld of row %lld is out of range", folder, (long long)c->labels[i],
                     (long long)i);
            goto fail;
        }
        if (c->labels[i] + 1 > classes) classes = c->labels[i] + 1;
    }
    int64_t* seen = calloc((size_t)classes + 1, sizeof(int64_t));
    c->queries = malloc((size_t)c->n * sizeof(int64_t) + 1);
    c->gallery = malloc((size_t)c->n * sizeof(int64_t) + 1);
    if (!seen || !c->queries || !c->gallery) {
        free(seen);
        npy_fail(error, size, "out of memory");
        goto fail;
    }
    for (int64_t row = 0; row < c->n; row++) {
        int64_t position = seen[c->labels[row]]++;
        if (position >= per_class) continue;
        if (position % 5 == 0) c->queries[c->n_queries++] = row;
        else c->gallery[c->n_gallery++] = row;
    }
    free(seen);
    return 0;
fail:
    corpus_free(c);
    return -1;
}

/* The features of `count` rows of `m`, gathered into a new malloc'ed block (count x m->cols). */
static inline float* corpus_rows(const npy_matrix* m, const int64_t* rows, int64_t count) {
    float* out = malloc((size_t)(count * m->cols) * sizeof(float) + 1);
    if (!out) return NULL;
    for (int64_t i = 0; i < count; i++)
        memcpy(out + i * m->cols, m->values + rows[i] * m->cols, (size_t)m->cols * sizeof(float));
    return out;
}

/* The labels of `count` rows, in a new malloc'ed array. */
static inline int64_t* corpus_labels(const corpus* c, const int64_t* rows, int64_t count) {
    int64_t* out = malloc((size_t)count * sizeof(int64_t) + 1);
    if (!out) return NULL;
    for (int64_t i = 0; i < count; i++) out[i] = c->labels[rows[i]];
    return out;
}

/* Gallery rows of the first `classes` classes (what a version that knows them trains on). */
static inline int64_t* corpus_training_rows(const corpus* c, int64_t classes, int64_t* count) {
    int64_t* out = malloc((size_t)c->n_gallery * sizeof(int64_t) + 1);
    *count = 0;
    if (!out) return NULL;
    for (int64_t i = 0; i < c->n_gallery; i++)
        if (c->labels[c->gallery[i]] < classes) out[(*count)++] = c->gallery[i];
    return out;
}

/* `count` gallery rows spread evenly over the gallery (every class, labelled or not): the items
 * a team would encode with both models to pair them up. */
static inline int64_t* corpus_paired_sample(const corpus* c, int64_t count, int64_t* got) {
    int64_t stride = c->n_gallery / count > 1 ? c->n_gallery / count : 1;
    int64_t* out = malloc((size_t)count * sizeof(int64_t) + 1);
    *got = 0;
    if (!out) return NULL;
    for (int64_t i = 0; i < c->n_gallery && *got < count; i += stride) out[(*got)++] = c->gallery[i];
    return out;
}

#endif /* STASIS_EXAMPLE_WORDNET_DATA_H */
