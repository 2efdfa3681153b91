/* Writes the seed corpora of the fuzz harnesses: a few small valid files of every kind, made
 * through the C ABI (indexes, spaces, encoders, adapters, report, plan, gallery manifest) or
 * byte by byte (.npy, .fvecs/.ivecs, size programs). Deterministic: rerunning rewrites the same
 * bytes except where a format records the writer (library version) or a time.
 * Usage: gen_corpus <corpus-root>   (scripts/fuzz.sh --seeds runs it) */
#include "fuzz_common.h"

#include <errno.h>
#include <sys/stat.h>

static const char* root;

static const char* seed(const char* harness, const char* name) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, harness);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) { perror(path); exit(1); }
    snprintf(path, sizeof path, "%s/%s/%s", root, harness, name);
    return path;
}

static void must(stasis_status s, const char* what) {
    if (s != STASIS_OK) { fprintf(stderr, "gen_corpus: %s: %s\n", what, stasis_last_error()); exit(1); }
}

static void indexes(void) {
    const char* factories[] = {"Flat", "HNSW8", "IVF4,Flat", "IVF4,SQ8", "IVF2,PQ2x4np"};
    const char* names[] = {"flat.idx", "hnsw8.idx", "ivf4-flat.idx", "ivf4-sq8.idx", "ivf2-pq2x4.idx"};
    enum { D = 8, N = 40 };
    float x[N * D];
    int64_t ids[N];
    for (int f = 0; f < 5; f++) {
        fuzz_rng = 1000 + f;
        fuzz_fill(x, N * D);
        for (int i = 0; i < N; i++) ids[i] = 3 * i + 1;
        stasis_index* index = NULL;
        must(stasis_index_create(D, factories[f], &index), factories[f]);
        must(stasis_index_train(index, N, D, x), "train");
        must(stasis_index_add(index, N / 2, D, x, ids, 1), "add v1");
        must(stasis_index_add(index, N / 2, D, x + N / 2 * D, ids + N / 2, 2), "add v2");
        must(stasis_index_remove(index, 2, ids), "remove");
        must(stasis_index_save(index, seed("index_open", names[f])), "save index");
        stasis_index_free(index);
    }
    stasis_space* space = NULL;
    must(stasis_space_create("simplex", 4, 0, 0, &space), "space");
    stasis_index* bound = NULL;
    must(stasis_index_create_for_space(space, "Flat", &bound), "bound index");
    float v[3 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    int64_t vid[3] = {5, 6, 7};
    must(stasis_index_add(bound, 3, 3, v, vid, 1), "bound add");
    must(stasis_index_save(bound, seed("index_open", "bound.idx")), "bound save");
    stasis_index_free(bound);
    stasis_space_free(space);
}

static void spaces_encoders_adapters(void) {
    stasis_space* s = NULL;
    must(stasis_space_create("orthoplex", 6, 0, 0, &s), "orthoplex");
    int64_t labels[3] = {10, 20, 30}, out[3];
    must(stasis_space_assign_ids(s, 3, labels, out), "assign ids");
    const char* names[2] = {"cat", "dog"};
    must(stasis_space_assign_names(s, 2, names, out), "assign names");
    must(stasis_space_save(s, seed("space_open", "orthoplex.safetensors")), "save orthoplex");
    stasis_space_free(s);
    must(stasis_space_create("spherical-code", 12, 8, 7, &s), "code");
    must(stasis_space_save(s, seed("space_open", "code.safetensors")), "save code");
    stasis_space_free(s);
    must(stasis_space_create("simplex", 4, 0, 0, &s), "simplex");
    must(stasis_space_save(s, seed("space_open", "simplex.safetensors")), "save simplex");

    /* Encoders: a single Linear head and one with a LayerNorm hidden layer, softmax features. */
    enum { N = 48, D = 6 };
    float f[N * D];
    int64_t lab[N];
    fuzz_rng = 99;
    fuzz_fill(f, N * D);
    for (int i = 0; i < N; i++) lab[i] = i % 4;
    stasis_train_options o = STASIS_TRAIN_OPTIONS_INIT;
    o.epochs = 2;
    o.validation = -1;
    stasis_encoder* e = NULL;
    must(stasis_train_ids(s, N, D, f, lab, NULL, 0, NULL, 1, &o, &e), "train linear");
    must(stasis_encoder_save(e, seed("encoder_open", "linear.safetensors")), "save encoder");
    int64_t hidden[1] = {5};
    o.hidden = hidden;
    o.hidden_count = 1;
    o.normalization = STASIS_NORMALIZATION_LAYERNORM;
    o.activation = STASIS_ACTIVATION_GELU;
    o.feature = STASIS_FEATURE_SOFTMAX;
    o.temperature = 2;
    stasis_encoder* e2 = NULL;
    must(stasis_train_ids(s, N, D, f, lab, e, D, f, 2, &o, &e2), "train hidden");
    must(stasis_encoder_save(e2, seed("encoder_open", "hidden.safetensors")), "save encoder 2");
    o.normalization = STASIS_NORMALIZATION_BATCHNORM;
    o.feature = STASIS_FEATURE_RAW;
    o.temperature = 0;
    stasis_encoder* e3 = NULL;
    must(stasis_train_ids(s, N, D, f, lab, NULL, 0, NULL, 3, &o, &e3), "train batchnorm");
    must(stasis_encoder_save(e3, seed("encoder_open", "batchnorm.safetensors")), "save encoder 3");
    stasis_encoder_free(e);
    stasis_encoder_free(e2);
    stasis_encoder_free(e3);
    stasis_space_free(s);

    float src[N * 5], dst[N * 3];
    fuzz_fill(src, N * 5);
    fuzz_fill(dst, N * 3);
    const char* kinds[6] = {"procrustes", "ridge", "lowrank", "orthogonal", "mlp", "local"};
    const char* files[6] = {"procrustes.safetensors", "ridge.safetensors", "lowrank.safetensors",
                            "orthogonal.safetensors", "mlp.safetensors", "local.safetensors"};
    for (int k = 0; k < 6; k++) {
        stasis_adapter* a = NULL;
        stasis_adapter_options ao = STASIS_ADAPTER_OPTIONS_INIT;
        ao.source_space = k == 0 ? "0123456789abcdef" : NULL;
        if (k == 4) ao.hidden = 4, ao.epochs = 1;  /* small tensors: mutations reach the shapes */
        if (k == 5) ao.clusters = 2;
        must(stasis_adapter_fit(kinds[k], 2, 1, N, 5, src, 3, dst, &ao, &a), kinds[k]);
        must(stasis_adapter_save(a, seed("adapter_open", files[k])), "save adapter");
        stasis_adapter_free(a);
    }
    /* An unpaired fit: its file carries adapter.fit = unpaired and no training pairs. */
    stasis_adapter* u = NULL;
    stasis_adapter_options uo = STASIS_ADAPTER_OPTIONS_INIT;
    uo.clusters = 2;
    uo.epochs = 1;
    must(stasis_adapter_fit_unpaired(2, 1, N / 2, 5, src, N / 2, 3, dst + (N / 2) * 3, &uo, &u), "unpaired");
    must(stasis_adapter_save(u, seed("adapter_open", "unpaired.safetensors")), "save unpaired adapter");
    stasis_adapter_free(u);
}

static void report_plan_gallery(void) {
    enum { N = 24, D = 4 };
    float q1[N * D], q2[N * D];
    int64_t lab[N];
    fuzz_rng = 5;
    fuzz_fill(q1, N * D);
    fuzz_fill(q2, N * D);
    for (int i = 0; i < N; i++) lab[i] = i % 3;
    stasis_labelled_vectors q[2] = {{N, D, q1, lab}, {N, D, q2, lab}};
    stasis_report* r = NULL;
    must(stasis_evaluate(2, NULL, q, NULL, NULL, &r), "evaluate");
    must(stasis_report_write_json(r, seed("report_open", "two-versions.json")), "report json");
    double fr[3] = {0, 0.5, 1}, val[3] = {0.2, 0.4, 0.5};
    must(stasis_report_set_backfill(r, 3, fr, val, "random"), "set backfill");
    must(stasis_report_write_json(r, seed("report_open", "with-backfill.json")), "report json 2");
    stasis_report_free(r);

    char dir[512];
    snprintf(dir, sizeof dir, "%s/gallery-dir", fuzz_dir());
    stasis_gallery* g = fuzz_make_gallery(dir);
    if (!g) exit(1);
    char manifest[600], copy[600];
    snprintf(manifest, sizeof manifest, "%s/gallery.json", dir);
    FILE* in = fopen(manifest, "rb");
    FILE* out = fopen(seed("gallery_open", "gallery.json"), "wb");
    int c;
    while ((c = fgetc(in)) != EOF) fputc(c, out);
    fclose(in);
    fclose(out);
    (void)copy;
    stasis_backfill_plan* p = NULL;
    must(stasis_backfill_plan_random(g, 1, 2, 3, &p), "plan");
    must(stasis_backfill_plan_save(p, seed("backfill_plan_open", "random.json")), "plan save");
    int64_t batch[4], count = 0;
    must(stasis_backfill_plan_next_batch(p, g, 4, batch, &count), "next batch");
    must(stasis_backfill_plan_save(p, seed("backfill_plan_open", "cursor.json")), "plan save 2");
    stasis_backfill_plan_free(p);
    stasis_gallery_free(g);
}

static void put(const char* path, const void* a, size_t n, const void* b, size_t m) {
    FILE* f = fopen(path, "wb");
    fwrite(a, 1, n, f);
    if (m) fwrite(b, 1, m, f);
    fclose(f);
}

static void npy(const char* name, const char* descr, const char* shape, const void* body, size_t bytes) {
    char header[128];
    int len = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    while ((10 + len + 1) % 64 != 0) header[len++] = ' ';
    header[len++] = '\n';
    unsigned char pre[10 + 128] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)len, 0};
    memcpy(pre + 10, header, (size_t)len);
    put(seed("npy", name), pre, 10 + (size_t)len, body, bytes);
}

static void arrays(void) {
    float f4[6] = {1, 2, 3, 4, 5, 6};
    double f8[4] = {1, -2, 0.5, 4};
    uint16_t f2[4] = {0x3c00, 0x4000, 0xbc00, 0x3800};
    int64_t i8[3] = {7, 8, -9};
    int32_t i4[4] = {1, 2, 3, 4};
    npy("f4-2x3.npy", "<f4", "(2, 3)", f4, sizeof f4);
    npy("f8-2x2.npy", "<f8", "(2, 2)", f8, sizeof f8);
    npy("f2-4.npy", "<f2", "(4,)", f2, sizeof f2);
    npy("i8-3.npy", "<i8", "(3,)", i8, sizeof i8);
    npy("i4-2x2.npy", "<i4", "(2, 2)", i4, sizeof i4);
    /* .fvecs / .ivecs: per row an int32 dimension then the values. */
    unsigned char fv[2 * (4 + 3 * 4)], iv[2 * (4 + 2 * 4)];
    for (int r = 0; r < 2; r++) {
        int32_t d = 3;
        memcpy(fv + r * 16, &d, 4);
        memcpy(fv + r * 16 + 4, f4 + r * 3, 12);
        int32_t d2 = 2, v[2] = {r, r + 10};
        memcpy(iv + r * 12, &d2, 4);
        memcpy(iv + r * 12 + 4, v, 8);
    }
    /* First byte of a vecs seed selects the reader in the harness: 'f' floats, 'i' integers. */
    put(seed("vecs", "two.fvecs"), "f", 1, fv, sizeof fv);
    put(seed("vecs", "two.ivecs"), "i", 1, iv, sizeof iv);
}

/* Write-ahead logs for fuzz_wal_open, made against an index like its fixture (dimension 4,
 * ids 0..11 at version 1, no log before): three records (an add of two new ids, an upsert of
 * id 3, a remove), the same with a zero byte after the last record (odd size: replayed on the
 * harness's HNSW fixture), a torn one (the last record cut short), a corrupt one (a byte of the
 * first record's payload flipped, intact records after it) and an empty log (header only). */
static size_t slurp(const char* path, unsigned char* buf, size_t cap) {
    FILE* f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* From a valid log at `path`: the same with a zero byte after it, torn (its last record cut
 * short) and corrupt (a bit flipped `payload_offset` bytes into the first record's payload, with
 * intact records after it), as seeds of `harness`. */
static void log_variants(const char* harness, const char* path, size_t payload_offset) {
    static unsigned char log[1 << 16];
    size_t n = slurp(path, log, sizeof log - 1);
    log[n] = 0;
    put(seed(harness, "three-zero-tail.wal"), log, n + 1, NULL, 0);
    put(seed(harness, "torn.wal"), log, n - 10, NULL, 0);
    log[32 + 24 + payload_offset] ^= 0x40;
    put(seed(harness, "corrupt.wal"), log, n, NULL, 0);
}

static void wal_logs(void) {
    enum { D = 4, N = 12 };
    float x[N * D];
    int64_t ids[N];
    for (int i = 0; i < N; i++) ids[i] = i;
    fuzz_rng = 4242;
    fuzz_fill(x, N * D);
    stasis_wal_options o = STASIS_WAL_OPTIONS_INIT;
    o.sync_mode = STASIS_WAL_SYNC_OFF;
    stasis_index* index = NULL;
    must(stasis_index_create(D, "Flat", &index), "wal index");
    must(stasis_index_add(index, N, D, x, ids, 1), "wal base add");
    char empty[1024];
    snprintf(empty, sizeof empty, "%s", seed("wal_open", "empty.wal"));
    remove(empty);
    must(stasis_index_enable_wal(index, empty, &o), "enable empty");
    must(stasis_index_disable_wal(index), "disable empty");
    const char* three = seed("wal_open", "three.wal");
    remove(three);
    must(stasis_index_enable_wal(index, three, &o), "enable three");
    float v[2 * D] = {1, 0, 0, 0, 0, 0.6f, 0.8f, 0};
    int64_t added[2] = {100, 101}, upserted = 3, removed[2] = {0, 100};
    must(stasis_index_add(index, 2, D, v, added, 2), "wal add");
    must(stasis_index_add(index, 1, D, v + D, &upserted, 3), "wal upsert");
    must(stasis_index_remove(index, 2, removed), "wal remove");
    must(stasis_index_disable_wal(index), "disable three");
    stasis_index_free(index);
    log_variants("wal_open", three, 30);
}

/* Logs for fuzz_gallery_wal_open, made against its fixture (fuzz_make_gallery, saved without a
 * log): three records (an upsert of two new ids at version 1, an upsert moving id 5 to version 2,
 * a remove of a version-1 and a version-2 id), the same with a zero byte after it, torn, corrupt
 * (a byte of the first record's ids flipped), empty, and the index log of fuzz_wal_open (refused
 * as the log of another kind of object). */
static void gallery_wal_logs(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/gallery-wal-dir", fuzz_dir());
    stasis_gallery* g = fuzz_make_gallery(dir);
    if (!g) exit(1);
    stasis_wal_options o = STASIS_WAL_OPTIONS_INIT;
    o.sync_mode = STASIS_WAL_SYNC_OFF;
    char empty[1024];
    snprintf(empty, sizeof empty, "%s", seed("gallery_wal_open", "empty.wal"));
    remove(empty);
    must(stasis_gallery_enable_wal(g, empty, &o), "gallery enable empty");
    must(stasis_gallery_disable_wal(g), "gallery disable empty");
    char three[1024];
    snprintf(three, sizeof three, "%s", seed("gallery_wal_open", "three.wal"));
    remove(three);
    must(stasis_gallery_enable_wal(g, three, &o), "gallery enable three");
    const float v[2 * 4] = {1, 0, 0, 0, 0, 0.6f, 0.8f, 0};
    const float w[6] = {0, 0, 1, 0, 0, 0};
    int64_t added[2] = {100, 101}, moved = 5, removed[2] = {7, 1};
    must(stasis_gallery_upsert(g, 2, 4, v, added, 1), "gallery wal upsert v1");
    must(stasis_gallery_upsert(g, 1, 6, w, &moved, 2), "gallery wal upsert v2");
    must(stasis_gallery_remove(g, 2, removed), "gallery wal remove");
    must(stasis_gallery_disable_wal(g), "gallery disable three");
    stasis_gallery_free(g);
    log_variants("gallery_wal_open", three, 34);
    static unsigned char log[1 << 16];
    char index_log[1024];
    snprintf(index_log, sizeof index_log, "%s", seed("wal_open", "three.wal"));
    size_t n = slurp(index_log, log, sizeof log);
    put(seed("gallery_wal_open", "index.wal"), log, n, NULL, 0);
}

/* Size programs for fuzz_sizes: opcode byte then little-endian int64 arguments. */
static void sizes(void) {
    for (int op = 0; op < 24; op++) {
        unsigned char prog[1 + 4 * 8 + 64];
        int64_t args[4] = {2, 4, 3, 1};
        prog[0] = (unsigned char)op;
        memcpy(prog + 1, args, sizeof args);
        for (int i = 0; i < 64; i++) prog[33 + i] = (unsigned char)(i * 37 + op);
        char name[32];
        snprintf(name, sizeof name, "op%02d", op);
        put(seed("sizes", name), prog, sizeof prog, NULL, 0);
    }
}

int main(int argc, char** argv) {
    if (argc != 2) { fprintf(stderr, "usage: gen_corpus <corpus-root>\n"); return 2; }
    root = argv[1];
    mkdir(root, 0755);
    stasis_set_num_threads(1);
    indexes();
    spaces_encoders_adapters();
    report_plan_gallery();
    arrays();
    sizes();
    wal_logs();
    gallery_wal_logs();
    printf("seed corpora written under %s\n", root);
    return 0;
}
