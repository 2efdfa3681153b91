/* Tutorial "Legacy gallery" (docs/tutorials/legacy-gallery.md), in C.
 *
 * The gallery holds raw embeddings of an old model (WordLlama, 256-d) that was never trained for
 * compatibility. A new model (MiniLM, 384-d) arrives. A backward adapter fitted on a small paired
 * sample lets new-model queries search the old vectors at once, through a mixed-version gallery;
 * then the gallery is re-encoded (backfilled) in a planned order, in resumable batches, and the
 * quality curve of each order is measured.
 *
 *   cc -std=c11 examples/c/tutorial_legacy.c $(pkg-config --cflags --libs stasis) -o tutorial_legacy
 *   ./tutorial_legacy [data-folder] [out-folder]      (run from the repository root)
 *
 * The same steps in Python: examples/python/tutorial_legacy.py (prints the same numbers). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, mkdir */
#include <stasis.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "wordnet_data.h"

#define PER_CLASS 30 /* a small slice of the corpus: runs in seconds */
#define PAIRS 600    /* gallery items encoded by both models */
#define BATCH 500    /* items re-encoded per backfill batch */
#define STEPS 5      /* points of the backfill curve: 0%, 20%, ..., 100% */

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

/* What every step below reads: the split, the features it needs, the adapters. */
static corpus data;
static int64_t *queries, *calibration, nq, n_cal, ng, n_pairs, d_old, d_new;
static float *old_gallery, *new_gallery, *new_queries, *new_calibration, *pairs_old, *pairs_new;
static stasis_adapter *backward, *forward;

/* The old vectors as they are (version 1), version 2 registered, bridged by the adapter. */
static stasis_gallery* legacy_gallery(void) {
    stasis_gallery* g = NULL;
    check(stasis_gallery_new(NULL, &g), "gallery");
    check(stasis_gallery_register(g, 1, d_old, NULL), "register v1");
    check(stasis_gallery_register(g, 2, d_new, NULL), "register v2");
    const stasis_adapter* bridge[] = {backward};
    check(stasis_gallery_add_chain(g, bridge, 1), "add the adapter");
    check(stasis_gallery_upsert(g, ng, d_old, old_gallery, data.gallery, 1), "upsert"); /* ids: corpus rows */
    /* Calibration puts both parts' scores in the new model's units (it matters once both are live). */
    check(stasis_gallery_calibrate_paired(g, n_cal, d_new, new_calibration, 2, 1, n_pairs, pairs_new, d_old,
                                          pairs_old, 10),
          "calibrate");
    return g;
}

/* Top-1 of the measured new-model queries searched in `g`. */
static double top1(const stasis_gallery* g) {
    float* scores = need(malloc((size_t)nq * sizeof(float)));
    int64_t* hits = need(malloc((size_t)nq * sizeof(int64_t)));
    check(stasis_gallery_search(g, nq, d_new, new_queries, 2, 1, NULL, 1, scores, hits, NULL), "search");
    int64_t right = 0;
    for (int64_t i = 0; i < nq; i++) right += hits[i] >= 0 && data.labels[hits[i]] == data.labels[queries[i]];
    free(scores);
    free(hits);
    return (double)right / (double)nq;
}

static const char* const POLICIES[] = {"random", "predicted-error", "neighbourhood"};

static stasis_backfill_plan* plan(const char* policy, const stasis_gallery* g) {
    stasis_backfill_plan* p = NULL;
    if (strcmp(policy, "random") == 0) {
        check(stasis_backfill_plan_random(g, 1, 2, 1, &p), "plan random");
    } else if (strcmp(policy, "predicted-error") == 0) { /* largest predicted error of the forward adapter first */
        check(stasis_backfill_plan_predicted_error(g, 1, 2, ng, d_old, old_gallery, data.gallery, forward, n_pairs,
                                                   pairs_old, pairs_new, 0.0, &p),
              "plan predicted-error");
    } else {
        check(stasis_backfill_plan_neighbourhood(g, 1, 2, ng, d_old, old_gallery, data.gallery, forward, 10, &p),
              "plan neighbourhood");
    }
    return p;
}

/* Top-1 of `n` labelled `queries` (n x dim) against a labelled `gallery` matrix. */
static double cell(const float* q, int64_t q_dim, const int64_t* q_labels, const float* g, int64_t g_dim,
                   const int64_t* g_labels) {
    stasis_labelled_vectors qs = {nq, q_dim, q, q_labels}, gs = {ng, g_dim, g, g_labels};
    double value, map;
    check(stasis_retrieval_metrics(&qs, &gs, STASIS_GALLERY_ITEMS, 0, NULL, &value, NULL, &map), "metrics");
    return value;
}

int main(int argc, char** argv) {
    const char* folder = argc > 1 ? argv[1] : "examples/data/wordnet";
    char scratch[] = "/tmp/stasis-tutorial-XXXXXX";
    const char* out = argc > 2 ? argv[2] : mkdtemp(scratch);
    if (!out) return fprintf(stderr, "cannot create a temporary folder\n"), 1;
    mkdir(out, 0755); /* when missing; saving below says so if it cannot be written */
    char path[4096], error[512];
    check(stasis_set_num_threads(2), "threads");

    if (corpus_load(folder, PER_CLASS, &data, error, sizeof error) != 0) return fprintf(stderr, "%s\n", error), 1;
    ng = data.n_gallery;
    d_old = data.old.cols;
    d_new = data.new_.cols;
    /* Every other query is held out to fit the score calibration; the others are measured. */
    queries = need(malloc((size_t)data.n_queries * sizeof(int64_t)));
    calibration = need(malloc((size_t)data.n_queries * sizeof(int64_t)));
    for (int64_t i = 0; i < data.n_queries; i++) {
        if (i % 2 == 0) calibration[n_cal++] = data.queries[i];
        else queries[nq++] = data.queries[i];
    }
    printf("corpus: %lld gallery items, %lld measured queries, %lld for calibration\n", (long long)ng, (long long)nq,
           (long long)n_cal);

    /* --- A backward adapter from a small paired sample ---------------------------------------- */
    int64_t* pairs = need(corpus_paired_sample(&data, PAIRS, &n_pairs)); /* embedded by both models */
    pairs_old = need(corpus_rows(&data.old, pairs, n_pairs));
    pairs_new = need(corpus_rows(&data.new_, pairs, n_pairs));
    check(stasis_adapter_fit("ridge", 2, 1, n_pairs, d_new, pairs_new, d_old, pairs_old, NULL, &backward), "fit v2->v1");
    check(stasis_adapter_fit("ridge", 1, 2, n_pairs, d_old, pairs_old, d_new, pairs_new, NULL, &forward), "fit v1->v2");
    const char* kind = NULL;
    double mean_cosine = 0, recall_at_1 = 0; /* measured on the pairs held out of the fit */
    check(stasis_adapter_kind(backward, &kind), "kind");
    check(stasis_adapter_validation(backward, NULL, NULL, &mean_cosine, &recall_at_1), "validation");
    printf("adapter v2 -> v1 (%s, %lld -> %lld) on %lld pairs: held-out mean cosine %.4f, recall@1 %.4f\n", kind,
           (long long)d_new, (long long)d_old, (long long)n_pairs, mean_cosine, recall_at_1);
    snprintf(path, sizeof path, "%s/adapter-v2-to-v1.safetensors", out);
    check(stasis_adapter_save(backward, path), "save adapter");

    int64_t* ql = need(corpus_labels(&data, queries, nq));
    int64_t* gl = need(corpus_labels(&data, data.gallery, ng));
    float* old_queries = need(corpus_rows(&data.old, queries, nq));
    float* adapted = need(malloc((size_t)(nq * d_old) * sizeof(float)));
    old_gallery = need(corpus_rows(&data.old, data.gallery, ng));
    new_gallery = need(corpus_rows(&data.new_, data.gallery, ng));
    new_queries = need(corpus_rows(&data.new_, queries, nq));
    new_calibration = need(corpus_rows(&data.new_, calibration, n_cal));
    check(stasis_adapter_apply(backward, nq, d_new, new_queries, d_old, adapted), "apply");
    double old_old = cell(old_queries, d_old, ql, old_gallery, d_old, gl);
    double new_old = cell(adapted, d_old, ql, old_gallery, d_old, gl);
    double new_new = cell(new_queries, d_new, ql, new_gallery, d_new, gl);
    printf("top-1 (%%): old->old %.2f  new->old through the adapter %.2f  new->new %.2f\n", 100 * old_old,
           100 * new_old, 100 * new_new);

    /* --- Serve new-model queries at once through a mixed-version gallery ---------------------- */
    stasis_gallery* live = legacy_gallery();
    printf("served at once: new-model queries on the legacy gallery, top-1 %.2f%%\n", 100 * top1(live));

    /* --- Plan the backfill: which items to re-encode first ------------------------------------ */
    int64_t* order = need(malloc((size_t)ng * sizeof(int64_t)));
    for (int i = 0; i < 3; i++) {
        stasis_backfill_plan* p = plan(POLICIES[i], live);
        int64_t length = 0;
        check(stasis_backfill_plan_length(p, &length), "length");
        check(stasis_backfill_plan_order(p, ng, order), "order");
        printf("plan %s: %lld ids, first %lld %lld %lld %lld %lld\n", POLICIES[i], (long long)length,
               (long long)order[0], (long long)order[1], (long long)order[2], (long long)order[3], (long long)order[4]);
        stasis_backfill_plan_free(p);
    }

    /* --- Run it in resumable batches ------------------------------------------------------------ */
    stasis_backfill_plan* backfill = plan("predicted-error", live);
    snprintf(path, sizeof path, "%s/backfill-plan.json", out);
    int64_t batch[BATCH], count = 0, done = 0, remaining = 0;
    int batches = 0;
    while (1) {
        /* the same ids again until they are upserted */
        check(stasis_backfill_plan_next_batch(backfill, live, BATCH, batch, &count), "next batch");
        if (count == 0) break;
        float* vectors = need(corpus_rows(&data.new_, batch, count)); /* the new model's embeddings */
        check(stasis_gallery_upsert(live, count, d_new, vectors, batch, 2), "upsert a batch");
        free(vectors);
        check(stasis_backfill_plan_save(backfill, path), "save plan"); /* a restart resumes after this batch */
        batches++;
        if (batches == 3) { /* simulate a restart: reopen the plan from disk and carry on */
            stasis_backfill_plan_free(backfill);
            check(stasis_backfill_plan_open(path, &backfill), "reopen plan");
            check(stasis_backfill_plan_progress(backfill, live, &done, &remaining), "progress");
            printf("after %d batches (restarted): done %lld, remaining %lld, top-1 %.2f%%\n", batches, (long long)done,
                   (long long)remaining, 100 * top1(live));
        }
    }
    int64_t on_v1 = 0, on_v2 = 0;
    check(stasis_backfill_plan_progress(backfill, live, &done, &remaining), "progress");
    stasis_gallery_count_version(live, 1, &on_v1);
    stasis_gallery_count_version(live, 2, &on_v2);
    printf("backfill complete after %d batches: done %lld, remaining %lld, v1 items %lld, v2 items %lld, top-1 %.2f%%\n",
           batches, (long long)done, (long long)remaining, (long long)on_v1, (long long)on_v2, 100 * top1(live));
    stasis_backfill_plan_free(backfill);
    stasis_gallery_free(live);

    /* --- Measure the curve of each order ---------------------------------------------------------- */
    int32_t* labels32 = need(malloc((size_t)ng * sizeof(int32_t)));
    int32_t* query_labels32 = need(malloc((size_t)nq * sizeof(int32_t)));
    for (int64_t i = 0; i < ng; i++) labels32[i] = (int32_t)gl[i];
    for (int64_t i = 0; i < nq; i++) query_labels32[i] = (int32_t)ql[i];
    for (int i = 0; i < 3; i++) {
        stasis_gallery* g = legacy_gallery();
        stasis_backfill_plan* p = plan(POLICIES[i], g);
        double fractions[STEPS + 1], values[STEPS + 1], area = 0;
        check(stasis_backfill_curve(g, p, ng, data.gallery, labels32, d_new, new_gallery, nq, d_new, new_queries, 2,
                                    query_labels32, STEPS, fractions, values, &area),
              "curve");
        printf("curve %-15s", POLICIES[i]);
        for (int s = 0; s <= STEPS; s++) printf(" %.2f", 100 * values[s]);
        printf("  AUC %.2f\n", 100 * area);
        stasis_backfill_plan_free(p);
        stasis_gallery_free(g);
    }
    printf("saved: %s\n", out);

    stasis_adapter_free(backward);
    stasis_adapter_free(forward);
    free(labels32), free(query_labels32), free(order), free(ql), free(gl), free(old_queries), free(adapted);
    free(old_gallery), free(new_gallery), free(new_queries), free(new_calibration), free(pairs), free(pairs_old);
    free(pairs_new), free(queries), free(calibration);
    corpus_free(&data);
    return 0;
}
