// Checks LumenFormats against a real ggml build, and times ggml's matrix products for comparison.
// Not part of the package build. Build it against a llama.cpp build tree, e.g.:
//
//   cc -O2 -o /tmp/ggml-check scripts/ggml-check.c -I$LLAMA/ggml/include -L$BUILD/bin -lggml -lggml-base -lggml-cpu -lm \
//      -Wl,-rpath,$BUILD/bin
//   .build/release/quant-bench export /tmp/quant-check      # random weights and inputs
//   /tmp/ggml-check dot /tmp/quant-check                     # ggml's quantize_row_* and vec_dot on them
//   .build/release/quant-bench compare /tmp/quant-check      # bit-for-bit comparison
//   /tmp/ggml-check bench [threads [FORMAT]]                 # ggml_mul_mat timings, same shapes as quant-bench
//   /tmp/ggml-check vecdot                                   # ggml's vec_dot alone, 576 × 1536, 1 and 32 inputs
//   /tmp/ggml-check extra [threads] [CPU_REPACK|AMX]         # ggml_mul_mat with weights in an extra buffer type
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml.h"
#include "ggml-cpu.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"

static const enum ggml_type types[] = {
    GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1,
    GGML_TYPE_Q8_0, GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K,
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static const char *upper(const char *name) {
    static char buffer[32];
    size_t i = 0;
    for (; name[i] && i < sizeof buffer - 1; i++) buffer[i] = (name[i] >= 'a' && name[i] <= 'z') ? name[i] - 32 : name[i];
    buffer[i] = 0;
    return buffer;
}

static void *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *data = malloc(*size);
    if (fread(data, 1, *size, f) != *size) { fclose(f); free(data); return NULL; }
    fclose(f);
    return data;
}

static void spit(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, size, f);
    fclose(f);
}

static int dot(const char *dir) {
    const int outputs = 64, columns = 1536, rows = 4;
    char path[1024];
    size_t size;
    snprintf(path, sizeof path, "%s/input.f32", dir);
    float *x = slurp(path, &size);
    if (!x || size != sizeof(float) * rows * columns) { fprintf(stderr, "bad %s\n", path); return 1; }
    for (size_t k = 0; k < NTYPES; k++) {
        const enum ggml_type type = types[k];
        const struct ggml_type_traits_cpu *cpu = ggml_get_type_traits_cpu(type);
        const enum ggml_type vtype = cpu->vec_dot_type;
        snprintf(path, sizeof path, "%s/%s.w", dir, upper(ggml_type_name(type)));
        void *w = slurp(path, &size);
        if (!w) continue;
        const size_t row = ggml_row_size(type, columns), vrow = ggml_row_size(vtype, columns);
        char *q = malloc(vrow * rows);
        for (int t = 0; t < rows; t++) {
            if (vtype == GGML_TYPE_F32) memcpy(q + t * vrow, x + t * columns, vrow);
            else ggml_get_type_traits_cpu(vtype)->from_float(x + t * columns, q + t * vrow, columns);
        }
        float *out = malloc(sizeof(float) * outputs * rows);
        for (int t = 0; t < rows; t++)
            for (int r = 0; r < outputs; r++)
                cpu->vec_dot(columns, &out[t * outputs + r], 0, (char *)w + r * row, 0, q + t * vrow, 0, 1);
        snprintf(path, sizeof path, "%s/%s.out", dir, upper(ggml_type_name(type)));
        spit(path, out, sizeof(float) * outputs * rows);
        snprintf(path, sizeof path, "%s/%s.in", dir, upper(ggml_type_name(type)));
        spit(path, q, vrow * rows);
        free(out); free(q); free(w);
    }
    free(x);
    printf("ggml results written to %s\n", dir);
    return 0;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int bench(int threads, const char *only) {
    printf("ggml_mul_mat (CPU backend, %d thread(s)): best of rounds, input quantisation included\n", threads);
    printf("format  shape       rows   us/call   ns/row   GB/s\n");
    srand(42);
    for (size_t k = 0; k < NTYPES; k++) {
        const enum ggml_type type = types[k];
        if (only && strcmp(only, upper(ggml_type_name(type))) != 0) continue;
        const int shapes[2][2] = {{576, 1536}, {1536, 576}};
        for (int s = 0; s < 2; s++) {
            const int outputs = shapes[s][0], columns = shapes[s][1];
            if (columns % ggml_blck_size(type) != 0) continue;
            for (int n = 1; n <= 32; n += 31) {
                struct ggml_init_params params = {.mem_size = 64 * 1024 * 1024, .mem_buffer = NULL, .no_alloc = false};
                struct ggml_context *ctx = ggml_init(params);
                struct ggml_tensor *w = ggml_new_tensor_2d(ctx, type, columns, outputs);
                struct ggml_tensor *x = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, columns, n);
                float *values = malloc(sizeof(float) * columns * outputs);
                for (int i = 0; i < columns * outputs; i++) values[i] = ((float)rand() / RAND_MAX - 0.5f) * 0.2f;
                if (type == GGML_TYPE_F32) memcpy(w->data, values, sizeof(float) * columns * outputs);
                else ggml_quantize_chunk(type, values, w->data, 0, outputs, columns, NULL);
                free(values);
                for (int i = 0; i < columns * n; i++) ((float *)x->data)[i] = (float)rand() / RAND_MAX * 2 - 1;
                struct ggml_tensor *y = ggml_mul_mat(ctx, w, x);
                struct ggml_cgraph *graph = ggml_new_graph(ctx);
                ggml_build_forward_expand(graph, y);
                struct ggml_cplan plan = ggml_graph_plan(graph, threads, NULL);
                uint8_t *work = malloc(plan.work_size + 64);
                plan.work_data = work;
                ggml_graph_compute(graph, &plan);
                int calls = 1;
                double elapsed;
                for (;;) {
                    double start = now();
                    for (int c = 0; c < calls; c++) ggml_graph_compute(graph, &plan);
                    elapsed = now() - start;
                    if (elapsed > 0.0125) break;
                    calls *= 2;
                }
                double best = elapsed / calls;
                for (int round = 0; round < 5; round++) {
                    double start = now();
                    for (int c = 0; c < calls; c++) ggml_graph_compute(graph, &plan);
                    double t = (now() - start) / calls;
                    if (t < best) best = t;
                }
                printf("%-6s  %4dx%-5d  %4d  %8.1f  %7.1f  %5.1f\n", upper(ggml_type_name(type)), outputs, columns, n, best * 1e6,
                       best * 1e9 / outputs, ggml_nbytes(w) / best / 1e9);
                free(work);
                ggml_free(ctx);
            }
        }
    }
    return 0;
}

/// ggml's vec_dot alone over a 576 × 1536 matrix and 1 or 32 inputs already quantised (no graph).
static int vecdot(void) {
    printf("ggml vec_dot loops, 1 thread: 576 rows x 1536 columns\n");
    srand(42);
    for (size_t k = 0; k < NTYPES; k++) {
        const enum ggml_type type = types[k];
        const struct ggml_type_traits_cpu *cpu = ggml_get_type_traits_cpu(type);
        const int outputs = 576, columns = 1536;
        const size_t row = ggml_row_size(type, columns), vrow = ggml_row_size(cpu->vec_dot_type, columns);
        float *values = malloc(sizeof(float) * columns * outputs);
        for (int i = 0; i < columns * outputs; i++) values[i] = ((float)rand() / RAND_MAX - 0.5f) * 0.2f;
        char *w = malloc(row * outputs);
        if (type == GGML_TYPE_F32) memcpy(w, values, row * outputs);
        else ggml_quantize_chunk(type, values, w, 0, outputs, columns, NULL);
        char *q = malloc(vrow * 32);
        for (int t = 0; t < 32; t++) {
            if (cpu->vec_dot_type == GGML_TYPE_F32) memcpy(q + t * vrow, values + t * columns, vrow);
            else ggml_get_type_traits_cpu(cpu->vec_dot_type)->from_float(values + t * columns, q + t * vrow, columns);
        }
        float out[32];
        for (int n = 1; n <= 32; n += 31) {
            double best = 1e9;
            for (int round = 0; round < 20; round++) {
                double start = now();
                for (int r = 0; r < outputs; r++)
                    for (int t = 0; t < n; t++) cpu->vec_dot(columns, &out[t], 0, w + r * row, 0, q + t * vrow, 0, 1);
                double t = now() - start;
                if (t < best) best = t;
            }
            printf("%-6s  %4d  %8.1f us\n", upper(ggml_type_name(type)), n, best * 1e6);
        }
        free(values); free(w); free(q);
    }
    return 0;
}

/// ggml_mul_mat with the weights in one of the CPU backend's extra buffer types (what llama.cpp
/// loads weights into by default: "CPU_REPACK" repacks Q4_0, Q4_K, …; "AMX" where the CPU has it).
static int extra(int threads, const char *wanted) {
    ggml_backend_dev_t dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    ggml_backend_dev_get_extra_bufts_t get = (ggml_backend_dev_get_extra_bufts_t)ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts");
    ggml_backend_buffer_type_t buft = NULL;
    for (ggml_backend_buffer_type_t *b = get ? get(dev) : NULL; b && *b; b++) {
        printf("extra buffer type: %s\n", ggml_backend_buft_name(*b));
        if (strcmp(ggml_backend_buft_name(*b), wanted) == 0) buft = *b;
    }
    if (!buft) { printf("no %s buffer type\n", wanted); return 1; }
    ggml_backend_t backend = ggml_backend_cpu_init();
    ggml_backend_cpu_set_n_threads(backend, threads);
    printf("ggml_mul_mat, weights in %s, %d thread(s)\nformat  shape       rows   us/call   ns/row   GB/s\n", wanted, threads);
    srand(42);
    for (size_t k = 0; k < NTYPES; k++) {
        const enum ggml_type type = types[k];
        const int shapes[2][2] = {{576, 1536}, {1536, 576}};
        for (int s = 0; s < 2; s++) {
            const int outputs = shapes[s][0], columns = shapes[s][1];
            if (columns % ggml_blck_size(type) != 0) continue;
            for (int n = 1; n <= 32; n += 31) {
                struct ggml_init_params wp = {.mem_size = ggml_tensor_overhead() * 4, .mem_buffer = NULL, .no_alloc = true};
                struct ggml_context *wctx = ggml_init(wp), *xctx = ggml_init(wp);
                struct ggml_tensor *w = ggml_new_tensor_2d(wctx, type, columns, outputs);
                struct ggml_tensor *x = ggml_new_tensor_2d(xctx, GGML_TYPE_F32, columns, n);
                ggml_backend_buffer_t wbuf = ggml_backend_alloc_ctx_tensors_from_buft(wctx, buft);
                ggml_backend_buffer_t xbuf = ggml_backend_alloc_ctx_tensors_from_buft(xctx, ggml_backend_cpu_buffer_type());
                if (!wbuf || !xbuf || w->extra == NULL) {  // not a type this buffer type repacks
                    if (wbuf) ggml_backend_buffer_free(wbuf);
                    if (xbuf) ggml_backend_buffer_free(xbuf);
                    ggml_free(wctx); ggml_free(xctx);
                    continue;
                }
                ggml_backend_buffer_set_usage(wbuf, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
                float *values = malloc(sizeof(float) * columns * outputs);
                for (int i = 0; i < columns * outputs; i++) values[i] = ((float)rand() / RAND_MAX - 0.5f) * 0.2f;
                void *q = malloc(ggml_nbytes(w));
                if (type == GGML_TYPE_F32) memcpy(q, values, ggml_nbytes(w));
                else ggml_quantize_chunk(type, values, q, 0, outputs, columns, NULL);
                ggml_backend_tensor_set(w, q, 0, ggml_nbytes(w));
                free(q);
                for (int i = 0; i < columns * n; i++) values[i] = (float)rand() / RAND_MAX * 2 - 1;
                ggml_backend_tensor_set(x, values, 0, sizeof(float) * columns * n);
                free(values);
                struct ggml_init_params gp = {.mem_size = ggml_tensor_overhead() * 8 + ggml_graph_overhead(), .mem_buffer = NULL, .no_alloc = true};
                struct ggml_context *gctx = ggml_init(gp);
                struct ggml_tensor *y = ggml_mul_mat(gctx, w, x);
                struct ggml_cgraph *graph = ggml_new_graph(gctx);
                ggml_build_forward_expand(graph, y);
                ggml_gallocr_t alloc = ggml_gallocr_new(ggml_backend_cpu_buffer_type());
                ggml_gallocr_alloc_graph(alloc, graph);
                ggml_backend_graph_compute(backend, graph);
                int calls = 1;
                double elapsed;
                for (;;) {
                    double start = now();
                    for (int c = 0; c < calls; c++) ggml_backend_graph_compute(backend, graph);
                    elapsed = now() - start;
                    if (elapsed > 0.0125) break;
                    calls *= 2;
                }
                double best = elapsed / calls;
                for (int round = 0; round < 5; round++) {
                    double start = now();
                    for (int c = 0; c < calls; c++) ggml_backend_graph_compute(backend, graph);
                    double t = (now() - start) / calls;
                    if (t < best) best = t;
                }
                printf("%-6s  %4dx%-5d  %4d  %8.1f  %7.1f  %5.1f\n", upper(ggml_type_name(type)), outputs, columns, n, best * 1e6,
                       best * 1e9 / outputs, ggml_nbytes(w) / best / 1e9);
                ggml_gallocr_free(alloc);
                ggml_free(gctx);
                ggml_backend_buffer_free(wbuf);
                ggml_backend_buffer_free(xbuf);
                ggml_free(wctx);
                ggml_free(xctx);
            }
        }
    }
    ggml_backend_free(backend);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    ggml_cpu_init();
    if (argc >= 3 && strcmp(argv[1], "dot") == 0) return dot(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "vecdot") == 0) return vecdot();
    if (argc >= 2 && strcmp(argv[1], "extra") == 0) return extra(argc >= 3 ? atoi(argv[2]) : 1, argc >= 4 ? argv[3] : "CPU_REPACK");
    if (argc >= 2 && strcmp(argv[1], "bench") == 0) return bench(argc >= 3 ? atoi(argv[2]) : 1, argc >= 4 ? argv[3] : NULL);
    fprintf(stderr, "usage: ggml-check dot DIR | bench [threads]\n");
    return 2;
}
