/* Mixed-version gallery and backfill plans through the C header only: bridges, upsert across
 * parts, merged search, calibration, save/open, plans, progress, curves, bad input. Built and
 * run by scripts/test.sh together with test_abi.c (same CHECK helpers). */
#include "stasis.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t gallery_state = 4242;
static float gallery_uniform(void) {
    gallery_state = gallery_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((gallery_state >> 40) & 0xFFFFFF) / (float)0x1000000 - 0.5f;
}

/* Old model: 8-d rows x; new model: 12-d rows y = x M (M 8 x 12), so y -> x is exactly linear. */
enum { OLD = 8, NEW = 12, ITEMS = 100, PAIRS = 200 };

static void gallery_models(const float* m, int64_t n, float* x, float* y) {
    for (int64_t i = 0; i < n * OLD; i++) x[i] = gallery_uniform();
    for (int64_t r = 0; r < n; r++)
        for (int j = 0; j < NEW; j++) {
            float sum = 0;
            for (int k = 0; k < OLD; k++) sum += x[r * OLD + k] * m[k * NEW + j];
            y[r * NEW + j] = sum;
        }
}

void test_gallery(void) {
    float m[OLD * NEW];
    for (int i = 0; i < OLD * NEW; i++) m[i] = gallery_uniform();
    float *px = malloc(sizeof(float) * PAIRS * OLD), *py = malloc(sizeof(float) * PAIRS * NEW);
    float *x = malloc(sizeof(float) * ITEMS * OLD), *y = malloc(sizeof(float) * ITEMS * NEW);
    gallery_models(m, PAIRS, px, py);
    gallery_models(m, ITEMS, x, y);
    stasis_adapter *backward = NULL, *forward = NULL;
    CHECK(stasis_adapter_fit("ridge", 2, 1, PAIRS, NEW, py, OLD, px, NULL, &backward) == STASIS_OK);
    CHECK(stasis_adapter_fit("ridge", 1, 2, PAIRS, OLD, px, NEW, py, NULL, &forward) == STASIS_OK);

    stasis_gallery* g = NULL;
    CHECK(stasis_gallery_new(NULL, &g) == STASIS_OK && g);
    CHECK_ERR(stasis_gallery_new("IVF4,Flat", &(stasis_gallery*){NULL}), STASIS_ERROR_UNSUPPORTED, "training");
    CHECK(stasis_gallery_register(g, 1, OLD, "old") == STASIS_OK);
    /* An adapter whose source version is not registered: refused, nothing added. */
    const stasis_adapter* one[1] = {backward};
    CHECK_ERR(stasis_gallery_add_chain(g, one, 1), STASIS_ERROR_NOT_FOUND, "version 2");
    CHECK(stasis_gallery_register(g, 2, NEW, NULL) == STASIS_OK);
    CHECK_ERR(stasis_gallery_register(g, 3, 5, "old"), STASIS_ERROR_DIMENSION_MISMATCH, "space 'old'");
    const stasis_adapter* gap[2] = {backward, backward};
    CHECK_ERR(stasis_gallery_add_chain(g, gap, 2), STASIS_ERROR_INCOMPATIBLE, "gap");
    CHECK(stasis_gallery_add_chain(g, one, 1) == STASIS_OK);
    const stasis_adapter* two[1] = {forward};
    CHECK(stasis_gallery_add_chain(g, two, 1) == STASIS_OK);

    int64_t ids[ITEMS];
    for (int i = 0; i < ITEMS; i++) ids[i] = i;
    CHECK(stasis_gallery_upsert(g, ITEMS, OLD, x, ids, 1) == STASIS_OK);
    CHECK(stasis_gallery_upsert(g, 10, NEW, y, ids, 2) == STASIS_OK);
    int64_t count = 0, on_old = 0;
    CHECK(stasis_gallery_count(g, &count) == STASIS_OK && count == ITEMS);
    CHECK(stasis_gallery_count_version(g, 1, &on_old) == STASIS_OK && on_old == ITEMS - 10);
    int64_t probe[3] = {0, 50, 777}, found[3] = {0};
    CHECK(stasis_gallery_versions_of(g, 3, probe, found) == STASIS_OK);
    CHECK(found[0] == 2 && found[1] == 1 && found[2] == -1);

    /* Bad input changes nothing. */
    float bad[NEW];
    memcpy(bad, y, sizeof bad);
    bad[2] = NAN;
    CHECK_ERR(stasis_gallery_upsert(g, 1, NEW, bad, probe + 1, 2), STASIS_ERROR_INVALID_ARGUMENT, "non-finite");
    CHECK_ERR(stasis_gallery_upsert(g, 1, OLD, x, probe + 1, 2), STASIS_ERROR_DIMENSION_MISMATCH, "12");
    CHECK_ERR(stasis_gallery_upsert(g, 1, OLD, x, probe + 1, 7), STASIS_ERROR_NOT_FOUND, "version 7");
    CHECK_ERR(stasis_gallery_remove(g, 3, probe), STASIS_ERROR_NOT_FOUND, "777");
    CHECK(stasis_gallery_count(g, &count) == STASIS_OK && count == ITEMS);
    CHECK(stasis_gallery_versions_of(g, 3, probe, found) == STASIS_OK && found[1] == 1);

    /* A new-model query for item 50 (stored on the old version) finds it through the adapter;
     * one for item 3 (stored on the new version) finds it directly. */
    float scores[2 * 5];
    int64_t hits[2 * 5];
    uint32_t versions[2 * 5];
    float queries[2 * NEW];
    memcpy(queries, y + 50 * NEW, sizeof(float) * NEW);
    memcpy(queries + NEW, y + 3 * NEW, sizeof(float) * NEW);
    float held[20 * NEW];
    for (int i = 0; i < 20 * NEW; i++) held[i] = py[i];
    CHECK(stasis_gallery_calibrate(g, 20, NEW, held, 2, 5) == STASIS_OK);
    CHECK_ERR(stasis_gallery_calibrate(g, 1, NEW, held, 2, 5), STASIS_ERROR_INVALID_ARGUMENT, "at least 2");
    CHECK(stasis_gallery_calibrate_paired(g, 20, NEW, held, 2, 1, PAIRS, py, OLD, px, 5) == STASIS_OK);
    CHECK_ERR(stasis_gallery_calibrate_paired(g, 20, NEW, held, 2, 1, PAIRS, py, NEW, px, 5), STASIS_ERROR_DIMENSION_MISMATCH, "8");
    CHECK_ERR(stasis_gallery_calibrate_paired(g, 20, NEW, held, 2, 5, PAIRS, py, OLD, px, 5), STASIS_ERROR_NOT_FOUND, "version 5");
    CHECK_ERR(stasis_gallery_calibrate_paired(g, 20, NEW, held, 2, 2, PAIRS, py, NEW, py, 5), STASIS_ERROR_INVALID_ARGUMENT, "share space");
    CHECK(stasis_gallery_search(g, 2, NEW, queries, 2, 5, NULL, 1, scores, hits, versions) == STASIS_OK);
    CHECK(hits[0] == 50 && versions[0] == 1);
    CHECK(hits[5] == 3 && versions[5] == 2);
    CHECK(stasis_gallery_search(g, 1, NEW, queries, 2, 5, "v2", 1, scores, hits, NULL) == STASIS_OK);
    CHECK(hits[0] != 50);
    CHECK_ERR(stasis_gallery_search(g, 1, NEW, queries, 2, 5, "nowhere", 1, scores, hits, NULL), STASIS_ERROR_NOT_FOUND, "nowhere");
    CHECK_ERR(stasis_gallery_search(g, 1, OLD, queries, 2, 5, NULL, 1, scores, hits, NULL), STASIS_ERROR_DIMENSION_MISMATCH, "12");

    /* Save, reopen: same answers. */
    char path[512];
    snprintf(path, sizeof path, "%s/gallery-c", scratch);
    CHECK(stasis_gallery_save(g, path) == STASIS_OK);
    stasis_gallery* reopened = NULL;
    CHECK(stasis_gallery_open(path, &reopened) == STASIS_OK && reopened);
    int64_t again[5];
    CHECK(stasis_gallery_search(reopened, 1, NEW, queries, 2, 5, NULL, 1, scores, again, NULL) == STASIS_OK);
    CHECK(again[0] == 50);
    stasis_gallery_free(reopened);
    CHECK_ERR(stasis_gallery_open("/nonexistent/gallery", &reopened), STASIS_ERROR_IO, "gallery.json");

    /* Plans over the 90 ids still on version 1. */
    stasis_backfill_plan* plan = NULL;
    CHECK(stasis_backfill_plan_random(g, 1, 2, 5, &plan) == STASIS_OK && plan);
    int64_t length = 0;
    CHECK(stasis_backfill_plan_length(plan, &length) == STASIS_OK && length == ITEMS - 10);
    int64_t batch[8], got = 0;
    CHECK(stasis_backfill_plan_next_batch(plan, g, 8, batch, &got) == STASIS_OK && got == 8);
    float rows[8 * NEW];
    for (int i = 0; i < 8; i++) memcpy(rows + i * NEW, y + batch[i] * NEW, sizeof(float) * NEW);
    CHECK(stasis_gallery_upsert(g, 8, NEW, rows, batch, 2) == STASIS_OK);
    int64_t done = 0, remaining = 0;
    CHECK(stasis_backfill_plan_progress(plan, g, &done, &remaining) == STASIS_OK && done == 8 && remaining == 82);
    snprintf(path, sizeof path, "%s/plan-c.json", scratch);
    CHECK(stasis_backfill_plan_save(plan, path) == STASIS_OK);
    stasis_backfill_plan* resumed = NULL;
    CHECK(stasis_backfill_plan_open(path, &resumed) == STASIS_OK && resumed);
    int64_t next[8];
    CHECK(stasis_backfill_plan_next_batch(resumed, g, 8, next, &got) == STASIS_OK && got == 8);
    int64_t order[ITEMS];
    CHECK(stasis_backfill_plan_order(resumed, ITEMS, order) == STASIS_OK && next[0] == order[8]);
    CHECK_ERR(stasis_backfill_plan_order(resumed, 3, order), STASIS_ERROR_INVALID_ARGUMENT, "capacity");
    stasis_backfill_plan* own = NULL;
    CHECK_ERR(stasis_backfill_plan_custom(g, 1, 2, ITEMS, order, &own), STASIS_ERROR_NOT_FOUND, "not on version 1");
    CHECK(own == NULL);
    stasis_backfill_plan_free(resumed);
    stasis_backfill_plan_free(plan);
    CHECK_ERR(stasis_backfill_plan_random(g, 1, 9, 0, &plan), STASIS_ERROR_NOT_FOUND, "version 9");

    /* Scored plans and a curve on a fresh gallery with every item on version 1. */
    stasis_gallery* fresh = NULL;
    CHECK(stasis_gallery_new("Flat", &fresh) == STASIS_OK);
    CHECK(stasis_gallery_register(fresh, 1, OLD, NULL) == STASIS_OK && stasis_gallery_register(fresh, 2, NEW, NULL) == STASIS_OK);
    CHECK(stasis_gallery_add_chain(fresh, one, 1) == STASIS_OK);
    CHECK(stasis_gallery_upsert(fresh, ITEMS, OLD, x, ids, 1) == STASIS_OK);
    CHECK(stasis_backfill_plan_predicted_error(fresh, 1, 2, ITEMS, OLD, x, ids, forward, PAIRS, px, py, 0, &plan) == STASIS_OK);
    CHECK(stasis_backfill_plan_length(plan, &length) == STASIS_OK && length == ITEMS);
    stasis_backfill_plan* near = NULL;
    CHECK(stasis_backfill_plan_neighbourhood(fresh, 1, 2, ITEMS, OLD, x, ids, forward, 5, &near) == STASIS_OK);
    stasis_backfill_plan_free(near); /* before the refused calls set it to NULL (LeakSanitizer) */
    stasis_backfill_plan* hubs = NULL;
    int64_t hub_length = 0;
    CHECK(stasis_backfill_plan_hubs(fresh, 1, 2, ITEMS, OLD, x, ids, forward, 5, &hubs) == STASIS_OK);
    CHECK(stasis_backfill_plan_length(hubs, &hub_length) == STASIS_OK && hub_length == ITEMS);
    stasis_backfill_plan_free(hubs);
    hubs = (stasis_backfill_plan*)1;
    CHECK_ERR(stasis_backfill_plan_hubs(fresh, 1, 2, ITEMS, OLD, x, ids, backward, 5, &hubs), STASIS_ERROR_INCOMPATIBLE, "forward");
    CHECK(hubs == NULL);
    CHECK_ERR(stasis_backfill_plan_neighbourhood(fresh, 1, 2, ITEMS, OLD, x, ids, backward, 5, &near), STASIS_ERROR_INCOMPATIBLE, "forward");
    CHECK_ERR(stasis_backfill_plan_neighbourhood(fresh, 1, 2, ITEMS - 1, OLD, x, ids, forward, 5, &near), STASIS_ERROR_INVALID_ARGUMENT, "99");
    CHECK(near == NULL);
    int32_t labels[ITEMS], query_labels[ITEMS];
    for (int i = 0; i < ITEMS; i++) labels[i] = query_labels[i] = i;
    double fractions[5], values[5], area = -1;
    CHECK(stasis_backfill_curve(fresh, plan, ITEMS, ids, labels, NEW, y, ITEMS, NEW, y, 2, query_labels, 4,
                                fractions, values, &area) == STASIS_OK);
    CHECK(fractions[0] == 0 && fractions[4] == 1 && values[4] == 1.0 && area > 0.5 && area <= 1.0);
    CHECK(stasis_gallery_count_version(fresh, 2, &count) == STASIS_OK && count == ITEMS);
    stasis_backfill_plan_free(plan);

    /* The same curve with negative flips: items back on version 1, a random order. Flips start at
     * 0 (nothing moved yet) and end at 0 here (every query is right once all items are native). */
    CHECK(stasis_gallery_upsert(fresh, ITEMS, OLD, x, ids, 1) == STASIS_OK);
    CHECK(stasis_backfill_plan_random(fresh, 1, 2, 7, &plan) == STASIS_OK);
    double flips[5] = {-1, -1, -1, -1, -1}, area2 = -1;
    CHECK_ERR(stasis_backfill_curve_flips(fresh, plan, ITEMS, ids, labels, NEW, y, ITEMS, NEW, y, 2, query_labels, 4,
                                          fractions, values, NULL, &area2), STASIS_ERROR_INVALID_ARGUMENT, "out_negative_flips");
    CHECK(stasis_gallery_count_version(fresh, 1, &count) == STASIS_OK && count == ITEMS);
    CHECK(stasis_backfill_curve_flips(fresh, plan, ITEMS, ids, labels, NEW, y, ITEMS, NEW, y, 2, query_labels, 4,
                                      fractions, values, flips, &area2) == STASIS_OK);
    CHECK(flips[0] == 0 && flips[4] == 0 && values[4] == 1.0 && area2 > 0 && area2 <= 1.0);
    for (int i = 0; i < 5; i++) CHECK(flips[i] >= 0 && flips[i] <= 1 && flips[i] <= 1 - values[i] + 1e-12);
    stasis_backfill_plan_free(plan);
    stasis_gallery_free(fresh);

    /* Write-ahead log: changes since the save survive dropping the gallery without saving. */
    char dir[600], wal[600];
    snprintf(dir, sizeof dir, "%s/wal-gallery", scratch);
    snprintf(wal, sizeof wal, "%s/wal-gallery.wal", scratch);
    stasis_gallery* logged = NULL;
    CHECK(stasis_gallery_new("Flat", &logged) == STASIS_OK);
    CHECK(stasis_gallery_register(logged, 1, OLD, NULL) == STASIS_OK && stasis_gallery_register(logged, 2, NEW, NULL) == STASIS_OK);
    CHECK(stasis_gallery_save(logged, dir) == STASIS_OK);
    stasis_wal_options options = STASIS_WAL_OPTIONS_INIT;
    CHECK(stasis_gallery_enable_wal(logged, wal, &options) == STASIS_OK);
    CHECK_ERR(stasis_gallery_enable_wal(logged, wal, &options), STASIS_ERROR_UNSUPPORTED, "already enabled");
    CHECK(stasis_gallery_upsert(logged, ITEMS, OLD, x, ids, 1) == STASIS_OK);
    CHECK(stasis_gallery_upsert(logged, 10, NEW, y, ids, 2) == STASIS_OK);
    CHECK(stasis_gallery_remove(logged, 1, ids + 50) == STASIS_OK);
    uint64_t sequence = 0;
    CHECK(stasis_gallery_wal_sequence(logged, &sequence) == STASIS_OK && sequence == 3);
    stasis_gallery_free(logged);
    logged = NULL;
    CHECK(stasis_gallery_open(dir, &logged) == STASIS_OK);
    CHECK(stasis_gallery_count(logged, &count) == STASIS_OK && count == 0);
    CHECK(stasis_gallery_enable_wal(logged, wal, NULL) == STASIS_OK);
    CHECK(stasis_gallery_count_version(logged, 1, &count) == STASIS_OK && count == ITEMS - 11);
    CHECK(stasis_gallery_count_version(logged, 2, &count) == STASIS_OK && count == 10);
    CHECK(stasis_gallery_checkpoint(logged, dir) == STASIS_OK);
    CHECK(stasis_gallery_disable_wal(logged) == STASIS_OK);
    stasis_gallery_free(logged);
    logged = NULL;
    CHECK(stasis_gallery_open(dir, &logged) == STASIS_OK);
    CHECK(stasis_gallery_count(logged, &count) == STASIS_OK && count == ITEMS - 1);
    CHECK(stasis_gallery_wal_sequence(logged, &sequence) == STASIS_OK && sequence == 3);
    CHECK(stasis_gallery_enable_wal(logged, wal, NULL) == STASIS_OK); /* empty log after the checkpoint */
    CHECK(stasis_gallery_count(logged, &count) == STASIS_OK && count == ITEMS - 1);
    stasis_gallery_free(logged);

    stasis_gallery_free(g);
    stasis_adapter_free(backward);
    stasis_adapter_free(forward);
    free(px); free(py); free(x); free(y);
}
