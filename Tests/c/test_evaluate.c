/* Evaluation through the C header only: metrics, matrix, gate, report files, bad inputs.
 * Built and run by scripts/test.sh together with test_abi.c (same CHECK helpers). */
#include "stasis.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int near(double a, double b) { return fabs(a - b) < 1e-9; }

/* Hand-computed (see Tests/StasisCoreTests/EvaluateTests.swift): query A ties with a B item. */
static void test_retrieval_metrics(void) {
    const float g[] = {1, 0, 0, 1, 1, 0};
    const int64_t gl[] = {0, 1, 1};
    const float q[] = {1, 0, 0, 1};
    const int64_t ql[] = {0, 1};
    stasis_labelled_vectors gallery = {3, 2, g, gl}, queries = {2, 2, q, ql};
    const int64_t ks[] = {2, 1};
    double top1 = -1, recall[2] = {-1, -1}, map = -1;
    CHECK(stasis_retrieval_metrics(&queries, &gallery, STASIS_GALLERY_ITEMS, 2, ks, &top1, recall, &map) == STASIS_OK);
    CHECK(near(top1, 0.5) && near(recall[0], 1) && near(recall[1], 0.5));
    CHECK(near(map, (0.5 + 5.0 / 6) / 2));
    /* Leave-one-out templates: the two inner items lose their own class. */
    const float items[] = {1, 0, 0.8f, 0.6f, 0.6f, 0.8f, 0, 1};
    const int64_t labels[] = {0, 0, 1, 1};
    stasis_labelled_vectors loo = {4, 2, items, labels};
    CHECK(stasis_retrieval_metrics(&loo, NULL, STASIS_GALLERY_TEMPLATES, 0, NULL, &top1, NULL, &map) == STASIS_OK);
    CHECK(near(top1, 0.5) && near(map, 0.75));

    /* Bad inputs: label missing from the gallery, NaN, mismatched dims, bad mode, NULL, k = 0. */
    const int64_t missing[] = {0, 7};
    stasis_labelled_vectors stray = {2, 2, q, missing};
    CHECK_ERR(stasis_retrieval_metrics(&stray, &gallery, 0, 0, NULL, &top1, NULL, &map), STASIS_ERROR_INVALID_ARGUMENT,
              "label 7");
    const float nan_rows[] = {1, NAN, 0, 1};
    stasis_labelled_vectors bad = {2, 2, nan_rows, ql};
    CHECK_ERR(stasis_retrieval_metrics(&bad, &gallery, 0, 0, NULL, &top1, NULL, &map), STASIS_ERROR_INVALID_ARGUMENT,
              "non-finite");
    stasis_labelled_vectors wide = {1, 4, g, gl};
    CHECK_ERR(stasis_retrieval_metrics(&wide, &gallery, 0, 0, NULL, &top1, NULL, &map), STASIS_ERROR_DIMENSION_MISMATCH,
              "dimension");
    CHECK_ERR(stasis_retrieval_metrics(&queries, &gallery, 5, 0, NULL, &top1, NULL, &map), STASIS_ERROR_INVALID_ARGUMENT,
              "mode");
    CHECK_ERR(stasis_retrieval_metrics(NULL, &gallery, 0, 0, NULL, &top1, NULL, &map), STASIS_ERROR_INVALID_ARGUMENT,
              "queries is NULL");
    const int64_t zero_k[] = {0};
    CHECK_ERR(stasis_retrieval_metrics(&queries, &gallery, 0, 1, zero_k, &top1, recall, &map),
              STASIS_ERROR_INVALID_ARGUMENT, "k must be > 0");
    stasis_labelled_vectors empty = {0, 2, NULL, NULL};
    CHECK_ERR(stasis_retrieval_metrics(&empty, &gallery, 0, 0, NULL, &top1, NULL, &map), STASIS_ERROR_INVALID_ARGUMENT,
              "empty");
}

static void test_compatibility_metrics(void) {
    const double m[] = {0.5, NAN, NAN, 0.6, 0.7, NAN, 0.5, 0.0, 0.8};
    double ac, am, bc, fc;
    CHECK(stasis_compatibility_metrics(3, m, &ac, &am, &bc, &fc) == STASIS_OK);
    CHECK(near(ac, 1.0 / 3) && near(am, 3.1 / 6) && near(bc, -0.35) && near(fc, -0.45));
    const double one[] = {0.4};
    CHECK(stasis_compatibility_metrics(1, one, &ac, &am, &bc, &fc) == STASIS_OK);
    CHECK(ac == 0 && near(am, 0.4) && isnan(bc) && isnan(fc));
    CHECK_ERR(stasis_compatibility_metrics(0, one, &ac, &am, &bc, &fc), STASIS_ERROR_INVALID_ARGUMENT, "T = 0");
    const double hole[] = {0.5, 0, NAN, 0.5};
    CHECK_ERR(stasis_compatibility_metrics(2, hole, &ac, &am, &bc, &fc), STASIS_ERROR_INVALID_ARGUMENT, "[1][0]");
}

static void test_report(void) {
    /* v1 answers both queries; v2 moves query 0 next to the B item. */
    const float g[] = {1, 0, 0, 1};
    const int64_t gl[] = {0, 1};
    const float q1[] = {1, 0.1f, 0.1f, 1}, q2[] = {0.1f, 1, 0.1f, 1};
    const int64_t ql[] = {0, 1};
    stasis_labelled_vectors queries[2] = {{2, 2, q1, ql}, {2, 2, q2, ql}};
    stasis_labelled_vectors galleries[2] = {{2, 2, g, gl}, {2, 2, g, gl}};
    const uint32_t versions[] = {3, 7};
    stasis_evaluate_options options = STASIS_EVALUATE_OPTIONS_INIT;
    options.title = "C test report";
    stasis_report* report = NULL;
    CHECK(stasis_evaluate(2, versions, queries, galleries, &options, &report) == STASIS_OK && report != NULL);
    int64_t t = 0;
    CHECK(stasis_report_version_count(report, &t) == STASIS_OK && t == 2);
    double matrix[4];
    uint32_t got_versions[2];
    CHECK(stasis_report_matrix(report, 4, got_versions, matrix) == STASIS_OK);
    CHECK(near(matrix[0], 1) && isnan(matrix[1]) && near(matrix[2], 0.5) && near(matrix[3], 0.5));
    CHECK(got_versions[0] == 3 && got_versions[1] == 7);
    CHECK_ERR(stasis_report_matrix(report, 3, NULL, matrix), STASIS_ERROR_INVALID_ARGUMENT, "exactly 2 x 2");

    int32_t passed = -1;
    char* verdict = NULL;
    const uint32_t old[] = {3};
    CHECK(stasis_report_gate(report, 7, 1, old, 0.0, &passed, &verdict) == STASIS_OK);
    CHECK(passed == 0 && verdict != NULL && strstr(verdict, "\"failing\":[\"v7\\/v3\"]") != NULL);
    stasis_string_free(verdict);
    CHECK(stasis_report_gate(report, 7, 1, old, -0.6, &passed, NULL) == STASIS_OK && passed == 1);
    const uint32_t newer[] = {7};
    CHECK_ERR(stasis_report_gate(report, 3, 1, newer, 0.0, &passed, NULL), STASIS_ERROR_INVALID_ARGUMENT, "newer");
    const uint32_t unknown[] = {5};
    CHECK_ERR(stasis_report_gate(report, 7, 1, unknown, 0.0, &passed, NULL), STASIS_ERROR_INVALID_ARGUMENT,
              "version 5 is not in the report");
    CHECK_ERR(stasis_report_gate(report, 7, 1, old, NAN, &passed, NULL), STASIS_ERROR_INVALID_ARGUMENT, "margin");

    const double fractions[] = {0, 0.5, 1}, values[] = {0.5, 0.7, 0.9};
    CHECK(stasis_report_set_backfill(report, 3, fractions, values, "by distance to class mean") == STASIS_OK);
    const double backwards[] = {0, 1, 0.5};
    CHECK_ERR(stasis_report_set_backfill(report, 3, backwards, values, NULL), STASIS_ERROR_INVALID_ARGUMENT, "ascend");
    const double flips[] = {0, 0.05, 0.02}, too_many[] = {0, 1.5, 0};
    CHECK_ERR(stasis_report_set_backfill_flips(report, 3, fractions, values, too_many, NULL), STASIS_ERROR_INVALID_ARGUMENT, "[0, 1]");
    CHECK(stasis_report_set_backfill_flips(report, 3, fractions, values, flips, "by distance to class mean") == STASIS_OK);

    char* json = NULL;
    CHECK(stasis_report_json(report, &json) == STASIS_OK && json != NULL);
    CHECK(strstr(json, "\"format\" : \"stasis.evaluation\"") != NULL);
    CHECK(strstr(json, "\"negative_flips\"") != NULL && strstr(json, "by distance to class mean") != NULL);
    stasis_string_free(json);
    char* html = NULL;
    CHECK(stasis_report_html(report, &html) == STASIS_OK && html != NULL && strstr(html, "C test report") != NULL);
    CHECK(strstr(html, "dashed: negative flips") != NULL && strstr(html, "negative flips at most 5.0%") != NULL);
    stasis_string_free(html);

    char path[512], page[512];
    snprintf(path, sizeof path, "%s/report.json", scratch);
    snprintf(page, sizeof page, "%s/report.html", scratch);
    CHECK(stasis_report_write_json(report, path) == STASIS_OK);
    CHECK(stasis_report_write_html(report, page) == STASIS_OK);
    stasis_report* reopened = NULL;
    CHECK(stasis_report_open(path, &reopened) == STASIS_OK);
    CHECK(stasis_report_gate(reopened, 7, 1, old, 0.0, &passed, NULL) == STASIS_OK && passed == 0);
    stasis_report_free(reopened);
    CHECK_ERR(stasis_report_open(page, &reopened), STASIS_ERROR_CORRUPT_FILE, "not a Stasis evaluation report");
    CHECK(reopened == NULL);
    stasis_report_free(report);
    CHECK_ERR(stasis_report_version_count(NULL, &t), STASIS_ERROR_INVALID_ARGUMENT, "report is NULL");
}

static void test_evaluate_errors(void) {
    const float q[] = {1, 0, 0.9f, 0.1f};
    const int64_t ql[] = {0, 0};
    stasis_labelled_vectors queries[2] = {{2, 2, q, ql}, {2, 2, q, ql}};
    stasis_report* report = (stasis_report*)1;
    CHECK_ERR(stasis_evaluate(0, NULL, queries, NULL, NULL, &report), STASIS_ERROR_INVALID_ARGUMENT, "t must be >= 1");
    CHECK(report == NULL);
    const uint32_t same[] = {2, 2};
    CHECK_ERR(stasis_evaluate(2, same, queries, NULL, NULL, &report), STASIS_ERROR_INVALID_ARGUMENT, "distinct");
    stasis_evaluate_options options = STASIS_EVALUATE_OPTIONS_INIT;
    options.metric = "precision";
    CHECK_ERR(stasis_evaluate(2, NULL, queries, NULL, &options, &report), STASIS_ERROR_INVALID_ARGUMENT, "precision");
    options.metric = NULL;
    options.struct_size = 3;
    CHECK_ERR(stasis_evaluate(2, NULL, queries, NULL, &options, &report), STASIS_ERROR_INVALID_ARGUMENT, "struct_size");
    options.struct_size = sizeof options;
    options.metric = "map";
    options.pair_samples = -1;
    CHECK(stasis_evaluate(2, NULL, queries, NULL, &options, &report) == STASIS_OK);
    char* json = NULL;
    CHECK(stasis_report_json(report, &json) == STASIS_OK && strstr(json, "\"pair_satisfaction\" : null") != NULL);
    CHECK(strstr(json, "\"metric\" : \"map\"") != NULL);
    stasis_string_free(json);
    stasis_report_free(report);
}

void test_evaluate(void) {
    test_retrieval_metrics();
    test_compatibility_metrics();
    test_report();
    test_evaluate_errors();
}
