/* Tutorial "Stationary from day one" (docs/tutorials/stationary-from-day-one.md), in C.
 *
 * Day one: a d-Simplex space with room for more classes than we know, v1 trained on the old
 * backbone's features (WordLlama), the gallery indexed once with v1. Later: v2 trained on a new
 * backbone (MiniLM) with more classes, aligned with v1, served against the untouched v1 index at
 * once; the compatibility matrix and the gate say whether that is safe; when it is not, the
 * gallery is re-encoded in place, in batches, while v2 keeps serving.
 *
 *   cc -std=c11 examples/c/tutorial_stationary.c $(pkg-config --cflags --libs stasis) -o tutorial_stationary
 *   ./tutorial_stationary [data-folder] [out-folder]      (run from the repository root)
 *
 * The same steps in Python: examples/python/tutorial_stationary.py (prints the same numbers). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, mkdir */
#include <stasis.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "wordnet_data.h"

#define PER_CLASS 30 /* a small slice of the corpus: runs in seconds */
#define EPOCHS 20
#define V2_HIDDEN 512 /* the demo uses 2048; smaller is faster and a little weaker */
#define PAIRS 600     /* gallery items encoded by both backbones (unlabelled) */

/* Every stasis_* call returns a status; on failure stasis_last_error() says what was wrong. */
static void check(stasis_status status, const char* what) {
    if (status == STASIS_OK) return;
    fprintf(stderr, "%s failed: %s (%s)\n", what, stasis_status_string(status), stasis_last_error());
    exit(1);
}

static void* need(void* p) {
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* The recipe both versions share (the demo's, see docs/demo.md). */
static stasis_train_options recipe(void) {
    stasis_train_options options = STASIS_TRAIN_OPTIONS_INIT;
    options.feature = STASIS_FEATURE_RAW;
    options.logit_scale = 10.0;
    options.epochs = EPOCHS;
    options.batch_size = 256;
    options.learning_rate = 1e-3;
    options.seed = 0;
    return options;
}

/* Top-1 of `n` query rows whose best hits are `hits`: the hit's class is the query's. */
static double top1(const corpus* c, const int64_t* rows, const int64_t* hits, int64_t n) {
    int64_t right = 0;
    for (int64_t i = 0; i < n; i++) right += hits[i] >= 0 && c->labels[hits[i]] == c->labels[rows[i]];
    return (double)right / (double)n;
}

/* Encodes `count` rows of `m` with `encoder` into a new block (count x 127). */
static float* encode(const stasis_encoder* encoder, const npy_matrix* m, const int64_t* rows, int64_t count) {
    int64_t dim = 0;
    check(stasis_encoder_output_dimension(encoder, &dim), "output dimension");
    float* features = need(corpus_rows(m, rows, count));
    float* out = need(malloc((size_t)(count * dim) * sizeof(float) + 1));
    check(stasis_encoder_encode(encoder, count, m->cols, features, dim, out), "encode");
    free(features);
    return out;
}

int main(int argc, char** argv) {
    const char* folder = argc > 1 ? argv[1] : "examples/data/wordnet";
    char scratch[] = "/tmp/stasis-tutorial-XXXXXX";
    const char* out = argc > 2 ? argv[2] : mkdtemp(scratch);
    if (!out) return fprintf(stderr, "cannot create a temporary folder\n"), 1;
    mkdir(out, 0755); /* when missing; saving below says so if it cannot be written */
    char path[4096];
    check(stasis_set_num_threads(2), "threads"); /* training is bit-reproducible for a fixed count */

    corpus data;
    char error[512];
    if (corpus_load(folder, PER_CLASS, &data, error, sizeof error) != 0) return fprintf(stderr, "%s\n", error), 1;
    const int64_t nq = data.n_queries, ng = data.n_gallery;
    const int64_t d_old = data.old.cols, d_new = data.new_.cols;
    printf("corpus: %lld items, %lld gallery, %lld queries\n", (long long)(nq + ng), (long long)ng, (long long)nq);

    /* --- Day one: a stationary space, v1 on the old backbone, the gallery indexed once ------- */
    stasis_space* space = NULL;
    check(stasis_space_create("simplex", 128, 0, 0, &space), "space"); /* 128 vertices, 127-d */
    int64_t n1 = 0;
    int64_t* v1_rows = need(corpus_training_rows(&data, V1_CLASSES, &n1));
    float* v1_features = need(corpus_rows(&data.old, v1_rows, n1));
    int64_t* v1_labels = need(corpus_labels(&data, v1_rows, n1));
    stasis_train_options options = recipe();
    options.backbone = "WordLlama l2_supercat";
    stasis_encoder* v1 = NULL;
    check(stasis_train_ids(space, n1, d_old, v1_features, v1_labels, NULL, 0, NULL, 1, &options, &v1), "train v1");
    int64_t in_dim = 0, out_dim = 0, assigned = 0;
    stasis_encoder_input_dimension(v1, &in_dim);
    stasis_encoder_output_dimension(v1, &out_dim);
    stasis_space_label_count(space, &assigned);
    printf("v1: %lld -> %lld, trained on %lld rows, %lld classes assigned\n", (long long)in_dim, (long long)out_dim,
           (long long)n1, (long long)assigned);

    stasis_index* index = NULL;
    check(stasis_index_create_for_space(space, "Flat", &index), "index");
    float* old_gallery = need(corpus_rows(&data.old, data.gallery, ng));
    /* ids are the corpus row numbers */
    check(stasis_index_add_features(index, v1, ng, d_old, old_gallery, data.gallery), "index the gallery");
    snprintf(path, sizeof path, "%s/space.safetensors", out); /* the registry: which label owns which vertex */
    check(stasis_space_save(space, path), "save space");
    snprintf(path, sizeof path, "%s/encoder-v1.safetensors", out);
    check(stasis_encoder_save(v1, path), "save v1");
    snprintf(path, sizeof path, "%s/gallery.index", out);
    check(stasis_index_save(index, path), "save index");
    int64_t count = 0;
    stasis_index_count(index, &count);
    printf("gallery indexed with v1: %lld items\n", (long long)count);
    stasis_index_free(index);
    stasis_encoder_free(v1);
    stasis_space_free(space);

    /* --- Later: the upgrade, in another process that reopens what day one saved ------------- */
    snprintf(path, sizeof path, "%s/space.safetensors", out);
    check(stasis_space_open(path, &space), "open space");
    snprintf(path, sizeof path, "%s/encoder-v1.safetensors", out);
    check(stasis_encoder_open(path, &v1), "open v1");
    snprintf(path, sizeof path, "%s/gallery.index", out);
    check(stasis_index_open(path, &index), "open index");

    int64_t n2 = 0, n_pairs = 0;
    int64_t* v2_rows = need(corpus_training_rows(&data, V2_CLASSES, &n2));
    float* v2_features = need(corpus_rows(&data.new_, v2_rows, n2));
    float* v2_previous = need(corpus_rows(&data.old, v2_rows, n2)); /* the same items, old backbone */
    int64_t* v2_labels = need(corpus_labels(&data, v2_rows, n2));
    int64_t* pairs = need(corpus_paired_sample(&data, PAIRS, &n_pairs));
    float* pairs_new = need(corpus_rows(&data.new_, pairs, n_pairs));
    float* pairs_old = need(corpus_rows(&data.old, pairs, n_pairs));
    const int64_t hidden[] = {V2_HIDDEN};
    options = recipe();
    options.backbone = "all-MiniLM-L6-v2";
    options.hidden = hidden;
    options.hidden_count = 1;
    options.alignment = STASIS_ALIGNMENT_HOC;
    options.alignment_scale = 20.0;
    options.paired_count = n_pairs; /* unlabelled pairs */
    options.paired_features = pairs_new;
    options.paired_previous_features = pairs_old;
    stasis_encoder* v2 = NULL;
    check(stasis_train_ids(space, n2, d_new, v2_features, v2_labels, v1, d_old, v2_previous, 2, &options, &v2),
          "train v2");
    stasis_encoder_input_dimension(v2, &in_dim);
    stasis_encoder_output_dimension(v2, &out_dim);
    stasis_space_label_count(space, &assigned);
    printf("v2: %lld -> %lld, trained on %lld rows and %lld pairs, %lld classes assigned\n", (long long)in_dim,
           (long long)out_dim, (long long)n2, (long long)n_pairs, (long long)assigned);

    /* v2 queries search the v1 index as it is: no gallery item was re-encoded. */
    float* new_queries = need(corpus_rows(&data.new_, data.queries, nq));
    float* scores = need(malloc((size_t)nq * sizeof(float)));
    int64_t* hits = need(malloc((size_t)nq * sizeof(int64_t)));
    check(stasis_index_search_features(index, v2, nq, d_new, new_queries, 1, NULL, scores, hits, NULL), "serve");
    printf("served: v2 queries on the untouched v1 index, top-1 %.2f%%\n", 100 * top1(&data, data.queries, hits, nq));

    /* --- Is it safe? The compatibility matrix and the gate ------------------------------------ */
    float* q1 = encode(v1, &data.old, data.queries, nq);
    float* q2 = encode(v2, &data.new_, data.queries, nq);
    float* g1 = encode(v1, &data.old, data.gallery, ng);
    float* g2 = encode(v2, &data.new_, data.gallery, ng);
    int64_t* ql = need(corpus_labels(&data, data.queries, nq));
    int64_t* gl = need(corpus_labels(&data, data.gallery, ng));
    stasis_labelled_vectors queries[2] = {{nq, out_dim, q1, ql}, {nq, out_dim, q2, ql}};
    stasis_labelled_vectors galleries[2] = {{ng, out_dim, g1, gl}, {ng, out_dim, g2, gl}};
    stasis_evaluate_options evaluation = STASIS_EVALUATE_OPTIONS_INIT;
    evaluation.pair_samples = 2000;
    evaluation.title = "Tutorial: v1 -> v2 on the untouched v1 gallery";
    stasis_report* report = NULL;
    check(stasis_evaluate(2, NULL, queries, galleries, &evaluation, &report), "evaluate");
    double M[4];
    check(stasis_report_matrix(report, 4, NULL, M), "matrix");
    printf("matrix top-1 (%%): old->old %.2f  new->old %.2f  new->new %.2f\n", 100 * M[0], 100 * M[2], 100 * M[3]);
    snprintf(path, sizeof path, "%s/report.html", out);
    check(stasis_report_write_html(report, path), "write report");

    /* The same cells per class group show where compatibility holds and where it does not. */
    const char* group_names[] = {"known at v1", "added at v2", "never trained"};
    float* part1 = need(malloc((size_t)(nq * out_dim) * sizeof(float)));
    float* part2 = need(malloc((size_t)(nq * out_dim) * sizeof(float)));
    int64_t* part_labels = need(malloc((size_t)nq * sizeof(int64_t)));
    for (int group = 0; group < 3; group++) {
        int64_t m = 0;
        for (int64_t i = 0; i < nq; i++) {
            int64_t label = ql[i];
            int in_group = group == 0 ? label < V1_CLASSES : group == 1 ? label >= V1_CLASSES && label < V2_CLASSES
                                                                        : label >= V2_CLASSES;
            if (!in_group) continue;
            memcpy(part1 + m * out_dim, q1 + i * out_dim, (size_t)out_dim * sizeof(float));
            memcpy(part2 + m * out_dim, q2 + i * out_dim, (size_t)out_dim * sizeof(float));
            part_labels[m++] = label;
        }
        stasis_labelled_vectors p1 = {m, out_dim, part1, part_labels}, p2 = {m, out_dim, part2, part_labels};
        double cells[3], map; /* top-1 of each cell; mAP is computed too, unused here */
        check(stasis_retrieval_metrics(&p1, &galleries[0], STASIS_GALLERY_ITEMS, 0, NULL, &cells[0], NULL, &map), "old->old");
        check(stasis_retrieval_metrics(&p2, &galleries[0], STASIS_GALLERY_ITEMS, 0, NULL, &cells[1], NULL, &map), "new->old");
        check(stasis_retrieval_metrics(&p2, &galleries[1], STASIS_GALLERY_ITEMS, 0, NULL, &cells[2], NULL, &map), "new->new");
        printf("  %-14s old->old %.2f  new->old %.2f  new->new %.2f  ECC %s\n", group_names[group], 100 * cells[0],
               100 * cells[1], 100 * cells[2], cells[1] > cells[0] ? "holds" : "fails");
    }

    const uint32_t v1_gallery[] = {1};
    int32_t passed = 0;
    check(stasis_report_gate(report, 2, 1, v1_gallery, 0.0, &passed, NULL), "gate"); /* v2 on the v1 gallery? */
    printf("gate (v2 queries on the v1 gallery): %s\n", passed ? "PASS" : "FAIL");

    /* --- When the gate fails: keep v1 serving, re-encode the gallery in place, then switch ---- */
    /* v1 and v2 share the stationary space, so one index holds both versions: each batch of items
     * re-encoded with v2 replaces its v1 vectors (same ids), and search never stops. Both query
     * models are measured on the mixed index after each batch: serve whichever is better. */
    float* old_queries = need(corpus_rows(&data.old, data.queries, nq));
    int64_t* order = need(malloc((size_t)ng * sizeof(int64_t)));
    int64_t filled = 0;
    for (int start = 0; start < 4; start++) /* spread over every class */
        for (int64_t i = start; i < ng; i += 4) order[filled++] = data.gallery[i];
    int64_t done = 0;
    for (int step = 1; step <= 4; step++) {
        int64_t size = ng / 4 + (step <= ng % 4 ? 1 : 0);
        float* batch = need(corpus_rows(&data.new_, order + done, size));
        check(stasis_index_add_features(index, v2, size, d_new, batch, order + done), "re-encode a batch");
        free(batch);
        done += size;
        check(stasis_index_search_features(index, v1, nq, d_old, old_queries, 1, NULL, scores, hits, NULL), "search");
        double v1_top1 = top1(&data, data.queries, hits, nq);
        check(stasis_index_search_features(index, v2, nq, d_new, new_queries, 1, NULL, scores, hits, NULL), "search");
        int64_t on_v1 = 0, on_v2 = 0;
        stasis_index_count_version(index, 1, &on_v1);
        stasis_index_count_version(index, 2, &on_v2);
        printf("backfill %d%%: v1 items %lld, v2 items %lld, top-1 of v1 queries %.2f%%, v2 queries %.2f%%\n",
               25 * step, (long long)on_v1, (long long)on_v2, 100 * v1_top1, 100 * top1(&data, data.queries, hits, nq));
    }
    printf("saved: %s\n", out);

    stasis_report_free(report);
    stasis_index_free(index);
    stasis_encoder_free(v2);
    stasis_encoder_free(v1);
    stasis_space_free(space);
    free(order), free(old_queries), free(part1), free(part2), free(part_labels), free(q1), free(q2), free(g1), free(g2);
    free(ql), free(gl), free(scores), free(hits), free(new_queries), free(pairs), free(pairs_new), free(pairs_old);
    free(v2_rows), free(v2_features), free(v2_previous), free(v2_labels);
    free(v1_rows), free(v1_features), free(v1_labels), free(old_gallery);
    corpus_free(&data);
    return 0;
}
