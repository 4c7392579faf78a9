// Entry points of paretune's wasm kernels. The module imports the memory of the tfjs-wasm backend, so every
// pointer is an offset in that memory; the caller provides the stack (the exported __stack_pointer) and scratch.
#ifndef PARETUNE_KERNELS_H
#define PARETUNE_KERNELS_H

enum { PT_MAX_RANK = 6 };

int pt_batch_matmul_scratch_bytes(void);
void pt_batch_matmul(const float* a, const float* b, float* out, int batch, int a_batch_stride, int b_batch_stride,
                     int m, int n, int k, int transpose_a, int transpose_b, float* scratch);
void pt_transpose(const unsigned* in, unsigned* out, int rank, const int* shape, const int* perm);
void pt_gelu(const float* x, float* y, int n);
void pt_gelu_grad(const float* x, const float* dy, float* dx, int n);
void pt_layer_norm(const float* x, const float* w, const float* b, float* y, int rows, int d, float eps);
void pt_layer_norm_grad_x(const float* x, const float* w, const float* dy, float* dx, int rows, int d, float eps);
void pt_softmax_grad(const float* y, const float* dy, float* dx, int rows, int d);
void pt_layer_norm_grad_w(const float* x, const float* dy, float* dw, int rows, int d, float eps);

#endif
