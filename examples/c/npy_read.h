/* npy_read.h: a small, strict reader of NumPy .npy files for the C examples (header only).
 *
 * Reads what the examples need and refuses everything else with a message:
 *   - 2-D float16 ('<f2') or float32 ('<f4') arrays, returned as float32 (float16 is widened
 *     exactly, subnormals, infinities and NaN included);
 *   - 1-D int32 ('<i4') or int64 ('<i8') arrays, returned as int64.
 * Little-endian, C order only (fortran_order False); format versions 1.0, 2.0 and 3.0. The
 * file's size must match its header exactly (a truncated or padded file is refused). Values are
 * decoded byte by byte, so the host's byte order does not matter.
 *
 * Each function returns 0 on success, with a malloc'ed array the caller frees; on failure it
 * returns -1, leaves the outputs NULL/0 and writes a message naming the file into `error`.
 */
#ifndef STASIS_EXAMPLE_NPY_READ_H
#define STASIS_EXAMPLE_NPY_READ_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** A row-major float32 matrix: rows x cols values. */
typedef struct npy_matrix {
    int64_t rows;
    int64_t cols;
    float* values;
} npy_matrix;

/* Largest header we accept: real headers are well under 1 KB. */
#define NPY_MAX_HEADER 65536

static inline int npy_fail(char* error, size_t size, const char* format, ...) {
    va_list args;
    va_start(args, format);
    if (error && size) vsnprintf(error, size, format, args);
    va_end(args);
    return -1;
}

/* float16 bits -> float32, exact for every input. */
static inline float npy_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0 && mantissa == 0) {
        bits = sign; /* signed zero */
    } else if (exponent == 0) {
        /* Subnormal: mantissa * 2^-24; shift until the implicit bit appears. */
        int32_t shift = 0;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            shift++;
        }
        bits = sign | ((uint32_t)(127 - 14 - shift) << 23) | ((mantissa & 0x3ffu) << 13);
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | (mantissa << 13); /* infinity or NaN (payload kept) */
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* Finds the value text after 'key': in the header dict; NULL when absent. */
static inline const char* npy_field(const char* header, const char* key) {
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char* at = strstr(header, quoted);
    if (!at) return NULL;
    at += strlen(quoted);
    while (*at == ' ') at++;
    if (*at != ':') return NULL;
    at++;
    while (*at == ' ') at++;
    return at;
}

/* Parses the header of `file` (positioned at 0): dtype text ("<f2"...), shape (up to 2 dims).
 * On success *ndim, dims[] and *data_bytes (bytes after the header) are set. */
static inline int npy_header(FILE* file, const char* path, char descr[8], int* ndim, int64_t dims[2],
                             long* data_offset, char* error, size_t size) {
    unsigned char prefix[12];
    if (fread(prefix, 1, 10, file) != 10 || memcmp(prefix, "\x93NUMPY", 6) != 0)
        return npy_fail(error, size, "%s: not a .npy file (bad magic)", path);
    uint8_t major = prefix[6];
    uint32_t header_length;
    long offset;
    if (major == 1) {
        header_length = (uint32_t)prefix[8] | ((uint32_t)prefix[9] << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (fread(prefix + 10, 1, 2, file) != 2) return npy_fail(error, size, "%s: truncated header", path);
        header_length = (uint32_t)prefix[8] | ((uint32_t)prefix[9] << 8) | ((uint32_t)prefix[10] << 16) |
                        ((uint32_t)prefix[11] << 24);
        offset = 12;
    } else {
        return npy_fail(error, size, "%s: .npy format version %u is not supported (1, 2 or 3)", path, major);
    }
    if (header_length == 0 || header_length > NPY_MAX_HEADER)
        return npy_fail(error, size, "%s: implausible header length %u", path, header_length);
    char* header = malloc(header_length + 1);
    if (!header) return npy_fail(error, size, "%s: out of memory", path);
    if (fread(header, 1, header_length, file) != header_length) {
        free(header);
        return npy_fail(error, size, "%s: truncated header", path);
    }
    header[header_length] = '\0';
    *data_offset = offset + (long)header_length;

    int result = -1;
    const char* value = npy_field(header, "descr");
    const char* fortran = npy_field(header, "fortran_order");
    const char* shape = npy_field(header, "shape");
    if (!value || *value != '\'' || !fortran || !shape || *shape != '(') {
        npy_fail(error, size, "%s: header lacks descr, fortran_order or shape: %s", path, header);
        goto done;
    }
    size_t length = strcspn(value + 1, "'");
    if (length == 0 || length >= 8 || value[1 + length] != '\'') {
        npy_fail(error, size, "%s: unsupported dtype in header: %s", path, header);
        goto done;
    }
    memcpy(descr, value + 1, length);
    descr[length] = '\0';
    if (strncmp(fortran, "False", 5) != 0) {
        npy_fail(error, size, "%s: Fortran-order arrays are not supported (save with C order)", path);
        goto done;
    }
    /* shape: "(a, b)", "(a,)" or "()"; at most two dimensions. */
    const char* at = shape + 1;
    *ndim = 0;
    while (1) {
        while (*at == ' ') at++;
        if (*at == ')') break;
        if (*at < '0' || *at > '9') {
            npy_fail(error, size, "%s: cannot read the shape in header: %s", path, header);
            goto done;
        }
        int64_t dim = 0;
        while (*at >= '0' && *at <= '9') {
            if (dim > (INT64_MAX - 9) / 10) {
                npy_fail(error, size, "%s: dimension too large in header: %s", path, header);
                goto done;
            }
            dim = dim * 10 + (*at - '0');
            at++;
        }
        if (*ndim == 2) {
            npy_fail(error, size, "%s: arrays of more than 2 dimensions are not supported", path);
            goto done;
        }
        dims[(*ndim)++] = dim;
        while (*at == ' ') at++;
        if (*at == ',') at++;
        else if (*at != ')') {
            npy_fail(error, size, "%s: cannot read the shape in header: %s", path, header);
            goto done;
        }
    }
    result = 0;
done:
    free(header);
    return result;
}

/* Opens `path`, parses its header, checks the dtype is one of `accepted` (NULL-terminated list)
 * and the file holds exactly count * item bytes of data; returns the file positioned at the data. */
static inline FILE* npy_open(const char* path, const char* const* accepted, int want_ndim, char descr[8],
                             int64_t dims[2], char* error, size_t size) {
    FILE* file = fopen(path, "rb");
    if (!file) {
        npy_fail(error, size, "%s: cannot open it: %s", path, strerror(errno));
        return NULL;
    }
    int ndim = 0;
    long offset = 0;
    if (npy_header(file, path, descr, &ndim, dims, &offset, error, size) != 0) goto fail;
    int known = 0;
    for (const char* const* a = accepted; *a; a++) known |= strcmp(*a, descr) == 0;
    if (!known) {
        char list[64] = "";
        for (const char* const* a = accepted; *a; a++) {
            strncat(list, *a, sizeof list - strlen(list) - 1);
            if (a[1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        npy_fail(error, size, "%s: dtype '%s' is not supported here (expected %s, little-endian)", path, descr, list);
        goto fail;
    }
    if (ndim != want_ndim) {
        npy_fail(error, size, "%s: a %d-D array, expected %d-D", path, ndim, want_ndim);
        goto fail;
    }
    int64_t item = descr[2] - '0'; /* "<f2" -> 2, "<i8" -> 8 */
    int64_t count = dims[0];
    if (want_ndim == 2) {
        if (dims[1] != 0 && count > INT64_MAX / item / dims[1]) {
            npy_fail(error, size, "%s: shape too large", path);
            goto fail;
        }
        count *= dims[1];
    }
    if (count > INT64_MAX / item) {
        npy_fail(error, size, "%s: shape too large", path);
        goto fail;
    }
    if (fseek(file, 0, SEEK_END) != 0) {
        npy_fail(error, size, "%s: cannot seek", path);
        goto fail;
    }
    long end = ftell(file);
    if (end < 0 || (int64_t)(end - offset) != count * item) {
        npy_fail(error, size, "%s: holds %ld data bytes, its header promises %lld", path, end - offset,
                 (long long)(count * item));
        goto fail;
    }
    if (fseek(file, offset, SEEK_SET) != 0) {
        npy_fail(error, size, "%s: cannot seek", path);
        goto fail;
    }
    return file;
fail:
    fclose(file);
    return NULL;
}

/** Reads a 2-D '<f2' or '<f4' array as float32. */
static inline int npy_read_matrix(const char* path, npy_matrix* out, char* error, size_t size) {
    static const char* const accepted[] = {"<f2", "<f4", NULL};
    out->rows = out->cols = 0;
    out->values = NULL;
    char descr[8];
    int64_t dims[2] = {0, 0};
    FILE* file = npy_open(path, accepted, 2, descr, dims, error, size);
    if (!file) return -1;
    int64_t count = dims[0] * dims[1];
    int64_t item = descr[2] - '0';
    float* values = malloc(count > 0 ? (size_t)count * sizeof(float) : 1);
    unsigned char* bytes = malloc(count > 0 ? (size_t)(count * item) : 1);
    if (!values || !bytes) {
        free(values);
        free(bytes);
        fclose(file);
        return npy_fail(error, size, "%s: out of memory for %lld values", path, (long long)count);
    }
    if (fread(bytes, (size_t)item, (size_t)count, file) != (size_t)count) {
        free(values);
        free(bytes);
        fclose(file);
        return npy_fail(error, size, "%s: truncated data", path);
    }
    fclose(file);
    for (int64_t i = 0; i < count; i++) {
        const unsigned char* b = bytes + i * item;
        if (item == 2) {
            values[i] = npy_half_to_float((uint16_t)(b[0] | (b[1] << 8)));
        } else {
            uint32_t bits = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
            memcpy(&values[i], &bits, sizeof bits);
        }
    }
    free(bytes);
    out->rows = dims[0];
    out->cols = dims[1];
    out->values = values;
    return 0;
}

/** Reads a 1-D '<i4' or '<i8' array as int64 (*out malloc'ed, *n its length). */
static inline int npy_read_int64(const char* path, int64_t** out, int64_t* n, char* error, size_t size) {
    static const char* const accepted[] = {"<i4", "<i8", NULL};
    *out = NULL;
    *n = 0;
    char descr[8];
    int64_t dims[2] = {0, 0};
    FILE* file = npy_open(path, accepted, 1, descr, dims, error, size);
    if (!file) return -1;
    int64_t count = dims[0];
    int64_t item = descr[2] - '0';
    int64_t* values = malloc(count > 0 ? (size_t)count * sizeof(int64_t) : 1);
    unsigned char* bytes = malloc(count > 0 ? (size_t)(count * item) : 1);
    if (!values || !bytes) {
        free(values);
        free(bytes);
        fclose(file);
        return npy_fail(error, size, "%s: out of memory for %lld values", path, (long long)count);
    }
    if (fread(bytes, (size_t)item, (size_t)count, file) != (size_t)count) {
        free(values);
        free(bytes);
        fclose(file);
        return npy_fail(error, size, "%s: truncated data", path);
    }
    fclose(file);
    for (int64_t i = 0; i < count; i++) {
        const unsigned char* b = bytes + i * item;
        uint64_t bits = 0;
        for (int64_t j = item - 1; j >= 0; j--) bits = (bits << 8) | b[j];
        if (item == 4) {
            uint32_t low = (uint32_t)bits;
            int32_t narrow;
            memcpy(&narrow, &low, sizeof narrow); /* two's complement: sign-extended below */
            values[i] = narrow;
        } else {
            memcpy(&values[i], &bits, sizeof bits);
        }
    }
    free(bytes);
    *out = values;
    *n = count;
    return 0;
}

#endif /* STASIS_EXAMPLE_NPY_READ_H */
