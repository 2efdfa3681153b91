/* Shared by the C ABI tests: counters and the CHECK / CHECK_ERR assertions. */
#ifndef STASIS_TEST_CHECK_H
#define STASIS_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "stasis.h"

extern int checks, failures;
extern const char* scratch;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        checks++;                                                                       \
        if (!(cond)) {                                                                  \
            failures++;                                                                 \
            fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    stasis_last_error());                                               \
        }                                                                               \
    } while (0)

/* The call fails with `status` and a message containing `needle`. */
#define CHECK_ERR(call, status, needle)                                                 \
    do {                                                                                \
        stasis_status s_ = (call);                                                      \
        CHECK(s_ == (status));                                                          \
        CHECK(strstr(stasis_last_error(), (needle)) != NULL);                           \
    } while (0)

#endif
