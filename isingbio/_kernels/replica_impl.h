/* The "replica" engine of the lattice kernels: many chains of one small lattice, vectorised
 * across chains. Included by lattice_impl.h (after the plan, the tables and the records it
 * reuses); lat_run chooses it from the model alone (rep_applies).
 *
 * Layout: the chains of a thread are cut into blocks of REP_B chains (the last block padded
 * with dummy chains whose results are dropped). A block keeps its state site-major, chain-minor:
 * site i of chain c of the block at x[i * REP_B + c], with one ghost site (index N) holding the
 * missing-neighbour value of open boundaries. A sweep visits the sites in a fixed order (sites
 * of even coordinate sum in C order, then the odd ones: any fixed order is a valid sequential
 * sweep, so every lattice works, odd periodic sides included) and updates the site in all
 * REP_B chains at once: the inner loops run over the chains, with nothing shared between them,
 * so the compiler turns them into SIMD code (an AVX2 clone and a portable clone of the same
 * integer code: the same bits).
 *
 * Random numbers: every chain draws only from its own xoshiro256** state (rng.h, 8 lanes), its
 * words kept chain-minor in the block (w[(word * 8 + lane) * REP_B + c]) so that one step of a
 * lane advances that lane of every chain of the block. The sweep's site j (in sweep order) uses
 * 32-bit word j % 16 of block j / 16 of the chain's isb_fill8 stream (the same words, in the same
 * order, as the chain's isb_fill8 blocks); the words of the last block not used by the sweep
 * are dropped. So a sweep consumes ceil(N / 16) blocks of every chain whatever else is in the
 * call, and a chain's result depends only on its state, its generator and its betas: not on
 * the other chains of the call, their grouping into blocks or threads, or the split of a run
 * into calls.
 *
 * Updates use the thresholds of lat_plan_tables (the same probabilities as the other engines):
 * Ising T32 (r <= t: flip / new spin +1), Potts the tuple tables (new value = number of
 * cumulative thresholds below r). Each chain may run at its own inverse temperature (chain_beta:
 * the chain's beta_J and beta_h are multiplied by chain_beta[c]); a thread builds one table per
 * distinct pair of betas among its chains and segment of a beta path.
 */
#ifndef ISINGBIO_REPLICA_IMPL_H
#define ISINGBIO_REPLICA_IMPL_H

#define REP_B 32            /* chains per block: one AVX2 vector of int8 spins */
#define REP_MAX_SITES 4096  /* larger lattices keep the sublattice / general engines */
#define REP_NARROW 3        /* a block of at most this many chains runs the scalar loops */

/* 1 if the replica engine runs this model (the model alone decides): a kind with a tuple table
 * (Ising always; Potts when (q + 1)^(2d) x q (q - 1) (Metropolis) or x (q - 1) (heat-bath)
 * entries fit in LAT_TUPLE_MAX), on a lattice of at most REP_MAX_SITES sites whose last side
 * is below 64 (the sublattice engine's rows then hold less than one AVX2 block) or that the
 * sublattice engine cannot take. m->engine: 0 never, 1 whenever a tuple table exists. */
static int rep_applies(const lat_model *m) {
    if (m->engine == 0) return 0;
    if (m->kind == LAT_POTTS_METRO || m->kind == LAT_POTTS_HB) {
        if (m->tables < 2) return 0;
        int64_t ntup = 1;
        for (int i = 0; i < 2 * m->d; i++) ntup *= m->q + 1;
        const int64_t size = ntup * (m->q - 1) * (m->kind == LAT_POTTS_METRO ? m->q : 1);
        if (size > LAT_TUPLE_MAX) return 0;
    }
    if (m->engine == 1) return 1;
    int64_t n = 1;
    for (int a = 0; a < m->d; a++) n *= m->shape[a];
    /* rows of the sublattice engine shorter than one AVX2 block (32 sites of a colour), or
     * no sublattice engine at all */
    return n <= REP_MAX_SITES
           && (m->shape[m->d - 1] < 64 || !lat_split_ok(m->d, m->shape, m->periodic));
}

/* Entries of one table of the plan's kind (T32). */
static int64_t rep_table_size(const lat_plan *p) {
    if (p->kind == LAT_ISING_METRO || p->kind == LAT_ISING_HB) return 256;
    if (p->kind == LAT_POTTS_METRO) return p->ntup * p->q * (p->q - 1);
    return p->ntup * (p->q - 1);
}

/* The geometry of the engine: sweep order and neighbours. */
typedef struct {
    int64_t N, nn;           /* sites, neighbours per site (2 d) */
    int32_t *order;          /* N: the sweep order */
    int32_t *nb;             /* N x 2d: neighbours along axis a at 2a, 2a + 1 (N: missing) */
    int32_t *fwd;            /* N x d: the next site along axis a (N: none), for the records */
} rep_geo;

static void rep_geo_free(rep_geo *g) {
    free(g->order); free(g->nb); free(g->fwd);
    memset(g, 0, sizeof *g);
}

static int rep_geo_init(rep_geo *g, const lat_plan *p) {
    const int d = p->d;
    const int64_t N = p->n_sites;
    memset(g, 0, sizeof *g);
    g->N = N;
    g->nn = 2 * d;
    g->order = (int32_t *)malloc(sizeof(int32_t) * (size_t)N);
    g->nb = (int32_t *)malloc(sizeof(int32_t) * (size_t)(N * 2 * d));
    g->fwd = (int32_t *)malloc(sizeof(int32_t) * (size_t)(N * d));
    if (!g->order || !g->nb || !g->fwd) { rep_geo_free(g); return -1; }
    int64_t stride[3];
    stride[d - 1] = 1;
    for (int a = d - 2; a >= 0; a--) stride[a] = stride[a + 1] * p->shape[a + 1];
    int64_t k = 0;
    for (int par = 0; par < 2; par++)
        for (int64_t i = 0; i < N; i++) {
            int64_t sum = 0;
            for (int a = 0; a < d; a++) sum += (i / stride[a]) % p->shape[a];
            if ((sum & 1) == par) g->order[k++] = (int32_t)i;
        }
    for (int64_t i = 0; i < N; i++)
        for (int a = 0; a < d; a++) {
            const int64_t L = p->shape[a], x = (i / stride[a]) % L;
            const int64_t lo = x > 0 ? i - stride[a] : (p->periodic[a] ? i + (L - 1) * stride[a] : N);
            const int64_t hi = x + 1 < L ? i + stride[a] : (p->periodic[a] ? i - x * stride[a] : N);
            g->nb[i * 2 * d + 2 * a] = (int32_t)lo;
            g->nb[i * 2 * d + 2 * a + 1] = (int32_t)hi;
            g->fwd[i * d + a] = (int32_t)hi;
        }
    return 0;
}

/* 16 32-bit random words per chain (r[m * REP_B + c], m < 16): one step of the 8 lanes of each
 * chain's generator (w chain-minor), word 2 k (low half) and 2 k + 1 (high half) from lane k:
 * the order of the chain's isb_fill8 output read as 32-bit words. */
#if defined(__GNUC__) || defined(__clang__)
typedef uint32_t rep_u32x8 __attribute__((vector_size(32)));
#if defined(__clang__)
#define REP_EVEN(x, y) __builtin_shufflevector(x, y, 0, 2, 4, 6, 8, 10, 12, 14)
#define REP_ODD(x, y) __builtin_shufflevector(x, y, 1, 3, 5, 7, 9, 11, 13, 15)
#else
#define REP_EVEN(x, y) __builtin_shuffle(x, y, (rep_u32x8){0, 2, 4, 6, 8, 10, 12, 14})
#define REP_ODD(x, y) __builtin_shuffle(x, y, (rep_u32x8){1, 3, 5, 7, 9, 11, 13, 15})
#endif
/* GCC vector extensions (like isb_fill8): SIMD whatever the cost model says */
ISB_INLINE void rep_fill16(uint64_t *restrict w, uint32_t *restrict r) {
    for (int k = 0; k < 8; k++) {
        uint64_t *s0 = w + (0 * 8 + k) * REP_B, *s1 = w + (1 * 8 + k) * REP_B;
        uint64_t *s2 = w + (2 * 8 + k) * REP_B, *s3 = w + (3 * 8 + k) * REP_B;
        uint32_t *lo = r + (2 * k) * REP_B, *hi = r + (2 * k + 1) * REP_B;
        for (int c = 0; c < REP_B; c += 8) {
            isb_u64x4 a0, a1, a2, a3, b0, b1, b2, b3, ra, rb;
            memcpy(&a0, s0 + c, 32); memcpy(&b0, s0 + c + 4, 32);
            memcpy(&a1, s1 + c, 32); memcpy(&b1, s1 + c + 4, 32);
            memcpy(&a2, s2 + c, 32); memcpy(&b2, s2 + c + 4, 32);
            memcpy(&a3, s3 + c, 32); memcpy(&b3, s3 + c + 4, 32);
            ISB_STEP4(a0, a1, a2, a3, ra);
            ISB_STEP4(b0, b1, b2, b3, rb);
            memcpy(s0 + c, &a0, 32); memcpy(s0 + c + 4, &b0, 32);
            memcpy(s1 + c, &a1, 32); memcpy(s1 + c + 4, &b1, 32);
            memcpy(s2 + c, &a2, 32); memcpy(s2 + c + 4, &b2, 32);
            memcpy(s3 + c, &a3, 32); memcpy(s3 + c + 4, &b3, 32);
            const rep_u32x8 x = (rep_u32x8)ra, y = (rep_u32x8)rb;
            const rep_u32x8 ev = REP_EVEN(x, y), od = REP_ODD(x, y);  /* little-endian halves */
            memcpy(lo + c, &ev, 32);
            memcpy(hi + c, &od, 32);
        }
    }
}
#else
ISB_INLINE void rep_fill16(uint64_t *restrict w, uint32_t *restrict r) {
    for (int k = 0; k < 8; k++) {
        uint64_t *s0 = w + (0 * 8 + k) * REP_B, *s1 = w + (1 * 8 + k) * REP_B;
        uint64_t *s2 = w + (2 * 8 + k) * REP_B, *s3 = w + (3 * 8 + k) * REP_B;
        uint32_t *lo = r + (2 * k) * REP_B, *hi = r + (2 * k + 1) * REP_B;
        for (int c = 0; c < REP_B; c++) {
            const uint64_t x = isb_rotl(s1[c] + (s1[c] << 2), 7), res = x + (x << 3);
            const uint64_t t = s1[c] << 17;
            s2[c] ^= s0[c];
            s3[c] ^= s1[c];
            s1[c] ^= s2[c];
            s0[c] ^= s3[c];
            s2[c] ^= t;
            s3[c] = isb_rotl(s3[c], 45);
            lo[c] = (uint32_t)res;
            hi[c] = (uint32_t)(res >> 32);
        }
    }
}
#endif

/* One site of every chain of the block: s the site's REP_B values, nb its 2d neighbours as
 * byte offsets from s, r the chains' random words, acc their counts of changed sites. kind, d
 * and q (Potts q = 3) are constants after inlining. */
ISB_INLINE void rep_site(int8_t *restrict s, const int32_t *restrict nb, const int kind,
                         const int d, const int q, const int64_t ntup,
                         const uint32_t *restrict tab, const int32_t *restrict off,
                         const uint32_t *restrict r, int32_t *restrict acc) {
    const int8_t *restrict n0 = s + nb[0], *restrict n1 = s + nb[1], *restrict n2 = s;
    const int8_t *restrict n3 = s, *restrict n4 = s, *restrict n5 = s;
    if (d >= 2) { n2 = s + nb[2]; n3 = s + nb[3]; }
    if (d >= 3) { n4 = s + nb[4]; n5 = s + nb[5]; }
    if (kind == LAT_ISING_METRO || kind == LAT_ISING_HB) {
        for (int c = 0; c < REP_B; c++) {
            int idx = n0[c] + n1[c] + 2;
            if (d >= 2) idx += 5 * (n2[c] + n3[c] + 2);
            if (d >= 3) idx += 25 * (n4[c] + n5[c] + 2);
            const int8_t old = s[c];
            int8_t nw;
            if (kind == LAT_ISING_METRO) {
                const uint32_t t = tab[off[c] + idx + 125 * (old > 0)];
                nw = r[c] <= t ? (int8_t)-old : old;
            } else {
                const uint32_t t = tab[off[c] + idx];
                nw = r[c] <= t ? 1 : -1;
            }
            acc[c] += nw != old;
            s[c] = nw;
        }
    } else {
        const int Q = q + 1;
        for (int c = 0; c < REP_B; c++) {
            int idx = n0[c] + Q * n1[c];
            if (d >= 2) idx += Q * Q * (n2[c] + Q * n3[c]);
            if (d >= 3) idx += Q * Q * Q * Q * (n4[c] + Q * n5[c]);
            const int8_t old = s[c];
            if (kind == LAT_POTTS_METRO) idx += old * (int)ntup;
            const uint32_t *T = tab + off[c] + idx * (q - 1);
            int nw = 0;
            for (int b = 0; b < q - 1; b++) nw += r[c] > T[b];
            acc[c] += nw != old;
            s[c] = (int8_t)nw;
        }
    }
}

/* One sweep of a block: x the block's state ((N + 1) x REP_B), w its generators, acc its
 * counts of changed sites; nbo the neighbours as byte offsets from the site (N x 2d, in sweep
 * order), order the sweep order. */
ISB_INLINE void rep_sweep_impl(int8_t *restrict x, uint64_t *restrict w,
                               const int32_t *restrict order, const int32_t *restrict nbo,
                               int64_t N, const int kind, const int d, const int q,
                               int64_t ntup, const uint32_t *restrict tab,
                               const int32_t *restrict off, int32_t *restrict acc,
                               uint32_t *restrict rbuf) {
    const int nn = 2 * d;
    for (int64_t j0 = 0; j0 < N; j0 += 16) {
        rep_fill16(w, rbuf);
        const int64_t j1 = j0 + 16 < N ? j0 + 16 : N;
        for (int64_t j = j0; j < j1; j++)
            rep_site(x + (int64_t)order[j] * REP_B, nbo + j * nn, kind, d, q, ntup, tab, off,
                     rbuf + (j - j0) * REP_B, acc);
    }
}

/* n_sweeps sweeps of a block; acc64 += the changed sites of each chain. */
#define REP_CASE(K, D, QQ) \
    case (K) * 4 + (D): \
        for (int64_t t = 0; t < n_sweeps; t++) { \
            rep_sweep_impl(x, w, order, nbo, N, K, D, QQ, ntup, tab, off, acc, rbuf); \
            for (int c = 0; c < REP_B; c++) { acc64[c] += acc[c]; acc[c] = 0; } \
        } \
        break;

#define REP_SWITCH \
    switch (kind * 4 + d) { \
    REP_CASE(LAT_ISING_METRO, 1, 2) REP_CASE(LAT_ISING_METRO, 2, 2) REP_CASE(LAT_ISING_METRO, 3, 2) \
    REP_CASE(LAT_ISING_HB, 1, 2) REP_CASE(LAT_ISING_HB, 2, 2) REP_CASE(LAT_ISING_HB, 3, 2) \
    REP_CASE(LAT_POTTS_METRO, 1, q) REP_CASE(LAT_POTTS_METRO, 2, q) REP_CASE(LAT_POTTS_METRO, 3, q) \
    REP_CASE(LAT_POTTS_HB, 1, q) REP_CASE(LAT_POTTS_HB, 2, q) REP_CASE(LAT_POTTS_HB, 3, q) \
    REP_CASE3(LAT_POTTS_METRO, 1) REP_CASE3(LAT_POTTS_METRO, 2) REP_CASE3(LAT_POTTS_METRO, 3) \
    REP_CASE3(LAT_POTTS_HB, 1) REP_CASE3(LAT_POTTS_HB, 2) REP_CASE3(LAT_POTTS_HB, 3) \
    default: break; \
    }

/* The portable sweeps of a block (vectorised by the compiler as it can). */
#define REP_SWEEPS(NAME, ATTR) \
ATTR void NAME(int8_t *x, uint64_t *w, const int32_t *order, const int32_t *nbo, int64_t N, \
               int kind, int d, int q, int64_t ntup, const uint32_t *tab, const int32_t *off, \
               int64_t *acc64, uint32_t *rbuf, int64_t n_sweeps, const lat_plan *p, \
               int shared) { \
    int32_t acc[REP_B]; \
    (void)p; (void)shared; \
    memset(acc, 0, sizeof acc); \
    if (q == 3 && (kind == LAT_POTTS_METRO || kind == LAT_POTTS_HB)) kind += 4; \
    REP_SWITCH \
}

/* q = 3 Potts: its own case (kind + 4) with q a constant */
#define REP_CASE3(K, D) \
    case ((K) + 4) * 4 + (D): \
        for (int64_t t = 0; t < n_sweeps; t++) { \
            rep_sweep_impl(x, w, order, nbo, N, K, D, 3, ntup, tab, off, acc, rbuf); \
            for (int c = 0; c < REP_B; c++) { acc64[c] += acc[c]; acc[c] = 0; } \
        } \
        break;

REP_SWEEPS(rep_sweeps_portable, static)
#undef REP_CASE
#undef REP_CASE3
#undef REP_SWITCH
#undef REP_SWEEPS

#if LAT_HAVE_AVX2
static int rep_cpu_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
           && __builtin_cpu_supports("avx512bw");
}

/* The AVX2 twins of rep_site: the same indices, tables and comparisons (r <= t as
 * max(r, t) == t), 8 chains per gather; they return the byte mask of the chains whose value
 * changed. */
LAT_AVX2_INLINE __m256i rep_pack_mask_avx2(const __m256i m[4]) {
    const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(m[0], m[1]), _mm256_packs_epi32(m[2], m[3]));
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

LAT_AVX2_INLINE __m256i rep_ising_site_avx2(int8_t *restrict s, const int32_t *restrict nb,
                                            const int d, const int metro,
                                            const uint32_t *restrict tab,
                                            const int32_t *restrict off,
                                            const uint32_t *restrict r) {
    const __m256i two = _mm256_set1_epi8(2);
#define REP_LD(k) _mm256_loadu_si256((const __m256i *)(s + nb[k]))
    __m256i idx = _mm256_add_epi8(_mm256_add_epi8(REP_LD(0), REP_LD(1)), two);
    if (d >= 2)
        idx = _mm256_add_epi8(idx, lat_mul5_epi8(_mm256_add_epi8(_mm256_add_epi8(REP_LD(2), REP_LD(3)), two)));
    if (d >= 3)
        idx = _mm256_add_epi8(idx, lat_mul5_epi8(lat_mul5_epi8(
                                       _mm256_add_epi8(_mm256_add_epi8(REP_LD(4), REP_LD(5)), two))));
#undef REP_LD
    const __m256i sv = _mm256_loadu_si256((const __m256i *)s);
    if (metro)
        idx = _mm256_add_epi8(idx, _mm256_and_si256(_mm256_cmpgt_epi8(sv, _mm256_setzero_si256()),
                                                    _mm256_set1_epi8(125)));
    const __m128i lo = _mm256_castsi256_si128(idx), hi = _mm256_extracti128_si256(idx, 1);
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    __m256i m[4];
    for (int j = 0; j < 4; j++) {
        const __m256i ix = _mm256_add_epi32(_mm256_cvtepu8_epi32(parts[j]),
                                            _mm256_loadu_si256((const __m256i *)(off + 8 * j)));
        const __m256i t = _mm256_i32gather_epi32((const int *)tab, ix, 4);
        const __m256i rv = _mm256_loadu_si256((const __m256i *)(r + 8 * j));
        m[j] = _mm256_cmpeq_epi32(_mm256_max_epu32(rv, t), t);
    }
    const __m256i le = rep_pack_mask_avx2(m);
    if (metro) {  /* flip where r <= t: -s = (s ^ -1) + 1 */
        _mm256_storeu_si256((__m256i *)s, _mm256_sub_epi8(_mm256_xor_si256(sv, le), le));
        return le;
    }
    const __m256i nw = _mm256_or_si256(_mm256_andnot_si256(le, _mm256_set1_epi8(-1)),
                                       _mm256_set1_epi8(1));  /* +1 where r <= t, else -1 */
    _mm256_storeu_si256((__m256i *)s, nw);
    return _mm256_andnot_si256(_mm256_cmpeq_epi8(nw, sv), _mm256_set1_epi8(-1));
}

LAT_AVX2_INLINE __m256i rep_potts_site_avx2(int8_t *restrict s, const int32_t *restrict nb,
                                            const int d, const int metro, const int q,
                                            const int64_t ntup, const uint32_t *restrict tab,
                                            const int32_t *restrict off,
                                            const uint32_t *restrict r) {
    const int Q = q + 1;
    const __m256i sv = _mm256_loadu_si256((const __m256i *)s);
    __m256i m[4];
    for (int h = 0; h < 2; h++) {  /* chains 16 h .. 16 h + 15 in 16-bit lanes */
        __m256i idx = _mm256_setzero_si256();
        int pw = 1;
        for (int k = 0; k < 2 * d; k++) {
            const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(s + nb[k] + 16 * h)));
            idx = _mm256_add_epi16(idx, _mm256_mullo_epi16(v, _mm256_set1_epi16((short)pw)));
            pw *= Q;
        }
        if (metro) {
            const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(s + 16 * h)));
            idx = _mm256_add_epi16(idx, _mm256_mullo_epi16(v, _mm256_set1_epi16((short)ntup)));
        }
        idx = _mm256_mullo_epi16(idx, _mm256_set1_epi16((short)(q - 1)));  /* < LAT_TUPLE_MAX */
        for (int g = 0; g < 2; g++) {
            const int j = 2 * h + g;
            const __m128i part = g ? _mm256_extracti128_si256(idx, 1) : _mm256_castsi256_si128(idx);
            const __m256i ix = _mm256_add_epi32(_mm256_cvtepu16_epi32(part),
                                                _mm256_loadu_si256((const __m256i *)(off + 8 * j)));
            const __m256i rv = _mm256_loadu_si256((const __m256i *)(r + 8 * j));
            __m256i cnt = _mm256_set1_epi32(q - 1);
            for (int b = 0; b < q - 1; b++) {
                const __m256i t = _mm256_i32gather_epi32((const int *)(tab + b), ix, 4);
                cnt = _mm256_add_epi32(cnt, _mm256_cmpeq_epi32(_mm256_max_epu32(rv, t), t));
            }
            m[j] = cnt;
        }
    }
    const __m256i nw = rep_pack_mask_avx2(m);  /* values 0..q-1: the packs keep them */
    _mm256_storeu_si256((__m256i *)s, nw);
    return _mm256_andnot_si256(_mm256_cmpeq_epi8(nw, sv), _mm256_set1_epi8(-1));
}

/* q = 3, d <= 2: the tuple index in bytes (u + 4 (v + 4 (w + 4 z)) < 256, as in
 * lat_potts3_row_avx2), the same entries as rep_potts_site_avx2. */
LAT_AVX2_INLINE __m256i rep_potts3_site_avx2(int8_t *restrict s, const int32_t *restrict nb,
                                             const int d, const int metro,
                                             const uint32_t *restrict tab,
                                             const int32_t *restrict off,
                                             const uint32_t *restrict r) {
    const __m256i sv = _mm256_loadu_si256((const __m256i *)s);
#define REP_LD(k) _mm256_loadu_si256((const __m256i *)(s + nb[k]))
    __m256i idx = REP_LD(2 * d - 1);
    for (int k = 2 * d - 2; k >= 0; k--)  /* 16-bit shifts: every value < 64 before a shift */
        idx = _mm256_add_epi8(_mm256_slli_epi16(idx, 2), REP_LD(k));
#undef REP_LD
    const __m128i lo = _mm256_castsi256_si128(idx), hi = _mm256_extracti128_si256(idx, 1);
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    const __m128i slo = _mm256_castsi256_si128(sv), shi = _mm256_extracti128_si256(sv, 1);
    const __m128i sparts[4] = {slo, _mm_srli_si128(slo, 8), shi, _mm_srli_si128(shi, 8)};
    const int shift = d == 1 ? 4 : 8;  /* ntup = 4^(2d) */
    __m256i m[4];
    for (int j = 0; j < 4; j++) {
        __m256i ix = _mm256_cvtepu8_epi32(parts[j]);
        if (metro) ix = _mm256_add_epi32(ix, _mm256_slli_epi32(_mm256_cvtepu8_epi32(sparts[j]), shift));
        ix = _mm256_add_epi32(_mm256_slli_epi32(ix, 1), _mm256_loadu_si256((const __m256i *)(off + 8 * j)));
        const __m256i rv = _mm256_loadu_si256((const __m256i *)(r + 8 * j));
        const __m256i t0 = _mm256_i32gather_epi32((const int *)tab, ix, 4);
        const __m256i t1 = _mm256_i32gather_epi32((const int *)(tab + 1), ix, 4);
        m[j] = _mm256_add_epi32(_mm256_set1_epi32(2),
                                _mm256_add_epi32(_mm256_cmpeq_epi32(_mm256_max_epu32(rv, t0), t0),
                                                 _mm256_cmpeq_epi32(_mm256_max_epu32(rv, t1), t1)));
    }
    const __m256i nw = rep_pack_mask_avx2(m);
    _mm256_storeu_si256((__m256i *)s, nw);
    return _mm256_andnot_si256(_mm256_cmpeq_epi8(nw, sv), _mm256_set1_epi8(-1));
}

LAT_AVX2_INLINE void rep_sweep_avx2_impl(int8_t *restrict x, uint64_t *restrict w,
                                         const int32_t *restrict order,
                                         const int32_t *restrict nbo, int64_t N, const int kind,
                                         const int d, const int q, int64_t ntup,
                                         const uint32_t *restrict tab,
                                         const int32_t *restrict off, int64_t *restrict acc64,
                                         uint32_t *restrict rbuf, const lat_plan *p,
                                         const int shared) {
    const int nn = 2 * d;
    const int ising = kind == LAT_ISING_METRO || kind == LAT_ISING_HB;
    const int metro = kind == LAT_ISING_METRO || kind == LAT_POTTS_METRO;
    uint8_t cnt[REP_B];
    for (int64_t j0 = 0; j0 < N; j0 += 16) {
        rep_fill16(w, rbuf);
        const int64_t j1 = j0 + 16 < N ? j0 + 16 : N;
        __m256i acc8 = _mm256_setzero_si256();
        for (int64_t j = j0; j < j1; j++) {
            int8_t *s = x + (int64_t)order[j] * REP_B;
            const uint32_t *r = rbuf + (j - j0) * REP_B;
            __m256i ch;
            if (ising && d <= 2 && shared) {  /* one table: the exact pshufb lookups */
                const int32_t *nb = nbo + j * nn;
                const __m256i sv = _mm256_loadu_si256((const __m256i *)s);
                if (d == 1)
                    lat_ising_row_shuf_avx2(s, s + nb[0], s + nb[1], s, s, r, p, REP_B, 0, metro);
                else
                    lat_ising_row_shuf_avx2(s, s + nb[2], s + nb[3], s + nb[0], s + nb[1], r, p,
                                            REP_B, 1, metro);
                ch = _mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)s), sv),
                                         _mm256_set1_epi8(-1));
            } else if (ising) {
                ch = rep_ising_site_avx2(s, nbo + j * nn, d, metro, tab, off, r);
            } else if (q == 3 && d <= 2) {
                ch = rep_potts3_site_avx2(s, nbo + j * nn, d, metro, tab, off, r);
            } else {
                ch = rep_potts_site_avx2(s, nbo + j * nn, d, metro, q, ntup, tab, off, r);
            }
            acc8 = _mm256_sub_epi8(acc8, ch);
        }
        _mm256_storeu_si256((__m256i *)cnt, acc8);
        for (int c = 0; c < REP_B; c++) acc64[c] += cnt[c];
    }
}

#define REP_CASE(K, D, QQ) \
    case (K) * 4 + (D): \
        for (int64_t t = 0; t < n_sweeps; t++) \
            rep_sweep_avx2_impl(x, w, order, nbo, N, K, D, QQ, ntup, tab, off, acc64, rbuf, p, shared); \
        break;
#define REP_CASE3(K, D) \
    case ((K) + 4) * 4 + (D): \
        for (int64_t t = 0; t < n_sweeps; t++) \
            rep_sweep_avx2_impl(x, w, order, nbo, N, K, D, 3, ntup, tab, off, acc64, rbuf, p, shared); \
        break;
#define REP_SWEEPS_AVX2(NAME, ATTR) \
ATTR static void NAME(int8_t *x, uint64_t *w, const int32_t *order, \
                                     const int32_t *nbo, int64_t N, int kind, int d, int q, \
                                     int64_t ntup, const uint32_t *tab, const int32_t *off, \
                                     int64_t *acc64, uint32_t *rbuf, int64_t n_sweeps, \
                                     const lat_plan *p, int shared) { \
    if (q == 3 && (kind == LAT_POTTS_METRO || kind == LAT_POTTS_HB)) kind += 4; \
    switch (kind * 4 + d) { \
    REP_CASE(LAT_ISING_METRO, 1, 2) REP_CASE(LAT_ISING_METRO, 2, 2) REP_CASE(LAT_ISING_METRO, 3, 2) \
    REP_CASE(LAT_ISING_HB, 1, 2) REP_CASE(LAT_ISING_HB, 2, 2) REP_CASE(LAT_ISING_HB, 3, 2) \
    REP_CASE(LAT_POTTS_METRO, 1, q) REP_CASE(LAT_POTTS_METRO, 2, q) REP_CASE(LAT_POTTS_METRO, 3, q) \
    REP_CASE(LAT_POTTS_HB, 1, q) REP_CASE(LAT_POTTS_HB, 2, q) REP_CASE(LAT_POTTS_HB, 3, q) \
    REP_CASE3(LAT_POTTS_METRO, 1) REP_CASE3(LAT_POTTS_METRO, 2) REP_CASE3(LAT_POTTS_METRO, 3) \
    REP_CASE3(LAT_POTTS_HB, 1) REP_CASE3(LAT_POTTS_HB, 2) REP_CASE3(LAT_POTTS_HB, 3) \
    default: break; \
    } \
}
REP_SWEEPS_AVX2(rep_sweeps_avx2, LAT_AVX2)
/* the same code where AVX-512 is there too: the compiler's rotates and 8 lanes for the
 * generator (rep_fill16), the same bits */
REP_SWEEPS_AVX2(rep_sweeps_avx512, __attribute__((target("avx2,popcnt,avx512f,avx512vl,avx512bw"))))
#undef REP_SWEEPS_AVX2
#undef REP_CASE
#undef REP_CASE3
#endif

/* n_sweeps sweeps of chain c of a block alone (blocks of at most REP_NARROW chains): the same
 * updates, random words and order as the block loops, on a compact copy of the chain (x1:
 * N + 1 bytes, ghost last) with its generator in rng.h's layout (w1, 32 words), drawn a sweep
 * at a time by isb_fill8 (ceil(N / 16) blocks, as rep_fill16 does). nb: N x 2d neighbour
 * sites (geo.nb), rbuf: >= 8 ceil(N / 16) words. Returns the changed sites. */
ISB_INLINE int64_t rep_chain_sweeps_impl(int8_t *restrict x1, uint64_t *restrict w1,
                                         const int32_t *restrict order,
                                         const int32_t *restrict nb, int64_t N, const int kind,
                                         const int d, const int q, int64_t ntup,
                                         const uint32_t *restrict T, uint64_t *restrict rbuf,
                                         int64_t n_sweeps) {
    const int64_t nblk = (N + 15) / 16;
    const int nn = 2 * d, Q = q + 1;
    int64_t acc = 0;
    for (int64_t t = 0; t < n_sweeps; t++) {
        isb_fill8(w1, rbuf, nblk);
        const lat_u32a *r32 = (const lat_u32a *)rbuf;
        for (int64_t j = 0; j < N; j++) {
            const int64_t i = order[j];
            const int32_t *v = nb + i * nn;
            const int8_t old = x1[i];
            const uint32_t r = r32[j];
            int8_t nw;
            if (kind == LAT_ISING_METRO || kind == LAT_ISING_HB) {
                int idx = x1[v[0]] + x1[v[1]] + 2;
                if (d >= 2) idx += 5 * (x1[v[2]] + x1[v[3]] + 2);
                if (d >= 3) idx += 25 * (x1[v[4]] + x1[v[5]] + 2);
                if (kind == LAT_ISING_METRO) nw = r <= T[idx + 125 * (old > 0)] ? (int8_t)-old : old;
                else nw = r <= T[idx] ? 1 : -1;
            } else {
                int idx = x1[v[0]] + Q * x1[v[1]];
                if (d >= 2) idx += Q * Q * (x1[v[2]] + Q * x1[v[3]]);
                if (d >= 3) idx += Q * Q * Q * Q * (x1[v[4]] + Q * x1[v[5]]);
                if (kind == LAT_POTTS_METRO) idx += old * (int)ntup;
                const uint32_t *Tb = T + idx * (q - 1);
                int a = 0;
                for (int b = 0; b < q - 1; b++) a += r > Tb[b];
                nw = (int8_t)a;
            }
            acc += nw != old;
            x1[i] = nw;
        }
    }
    return acc;
}

#define REP_CASE(K, D, QQ) \
    case (K) * 4 + (D): \
        return rep_chain_sweeps_impl(x1, w1, order, nb, N, K, D, QQ, ntup, T, rbuf, n_sweeps);
#define REP_CHAIN(NAME, ATTR) \
ATTR int64_t NAME(int8_t *x1, uint64_t *w1, const int32_t *order, const int32_t *nb, \
                  int64_t N, int kind, int d, int q, int64_t ntup, const uint32_t *T, \
                  uint64_t *rbuf, int64_t n_sweeps) { \
    if (q == 3 && (kind == LAT_POTTS_METRO || kind == LAT_POTTS_HB)) kind += 4; \
    switch (kind * 4 + d) { \
    REP_CASE(LAT_ISING_METRO, 1, 2) REP_CASE(LAT_ISING_METRO, 2, 2) REP_CASE(LAT_ISING_METRO, 3, 2) \
    REP_CASE(LAT_ISING_HB, 1, 2) REP_CASE(LAT_ISING_HB, 2, 2) REP_CASE(LAT_ISING_HB, 3, 2) \
    REP_CASE(LAT_POTTS_METRO, 1, q) REP_CASE(LAT_POTTS_METRO, 2, q) REP_CASE(LAT_POTTS_METRO, 3, q) \
    REP_CASE(LAT_POTTS_HB, 1, q) REP_CASE(LAT_POTTS_HB, 2, q) REP_CASE(LAT_POTTS_HB, 3, q) \
    case (LAT_POTTS_METRO + 4) * 4 + 1: return rep_chain_sweeps_impl(x1, w1, order, nb, N, LAT_POTTS_METRO, 1, 3, ntup, T, rbuf, n_sweeps); \
    case (LAT_POTTS_METRO + 4) * 4 + 2: return rep_chain_sweeps_impl(x1, w1, order, nb, N, LAT_POTTS_METRO, 2, 3, ntup, T, rbuf, n_sweeps); \
    case (LAT_POTTS_METRO + 4) * 4 + 3: return rep_chain_sweeps_impl(x1, w1, order, nb, N, LAT_POTTS_METRO, 3, 3, ntup, T, rbuf, n_sweeps); \
    case (LAT_POTTS_HB + 4) * 4 + 1: return rep_chain_sweeps_impl(x1, w1, order, nb, N, LAT_POTTS_HB, 1, 3, ntup, T, rbuf, n_sweeps); \
    case (LAT_POTTS_HB + 4) * 4 + 2: return rep_chain_sweeps_impl(x1, w1, order, nb, N, LAT_POTTS_HB, 2, 3, ntup, T, rbuf, n_sweeps); \
    case (LAT_POTTS_HB + 4) * 4 + 3: return rep_chain_sweeps_impl(x1, w1, order, nb, N, LAT_POTTS_HB, 3, 3, ntup, T, rbuf, n_sweeps); \
    default: return 0; \
    } \
}
REP_CHAIN(rep_chain_sweeps_portable, static)
#if LAT_HAVE_AVX2
REP_CHAIN(rep_chain_sweeps_avx2, LAT_AVX2 static)
#endif
#undef REP_CASE
#undef REP_CHAIN

/* The chains c < nc of a block, one at a time (rep_chain_sweeps): copied out of the block's
 * layout and back. x1: N + 1 bytes, rbuf: 8 ceil(N / 16) words. */
static void rep_narrow_sweeps(int8_t *x, uint64_t *w, const rep_geo *g, const lat_plan *p,
                              const uint32_t *tab, const int32_t *off, int64_t *acc64,
                              int64_t nc, int64_t n_sweeps, int8_t *x1, uint64_t *rbuf,
                              int avx2) {
    const int64_t N = g->N;
    uint64_t w1[ISB_RNG_WORDS];
    for (int64_t c = 0; c < nc; c++) {
        for (int64_t i = 0; i <= N; i++) x1[i] = x[i * REP_B + c];
        for (int k = 0; k < ISB_RNG_WORDS; k++) w1[k] = w[k * REP_B + c];
        int64_t a;
#if LAT_HAVE_AVX2
        if (avx2)
            a = rep_chain_sweeps_avx2(x1, w1, g->order, g->nb, N, p->kind, p->d, p->q, p->ntup,
                                      tab + off[c], rbuf, n_sweeps);
        else
#endif
        a = rep_chain_sweeps_portable(x1, w1, g->order, g->nb, N, p->kind, p->d, p->q, p->ntup,
                                      tab + off[c], rbuf, n_sweeps);
        (void)avx2;
        acc64[c] += a;
        for (int64_t i = 0; i < N; i++) x[i * REP_B + c] = x1[i];
        for (int k = 0; k < ISB_RNG_WORDS; k++) w[k * REP_B + c] = w1[k];
    }
}

/* Bond sums per axis (bond[a * REP_B + c]) and state counts (count[v * REP_B + c]; Ising:
 * the number of +1 spins in count[REP_B + c]) of the chains of a block, in 32-bit
 * accumulators (vectorised across chains). */
#define REP_COUNTS(NAME, ATTR) \
ATTR void NAME(const int8_t *restrict x, const int32_t *restrict fwd, int64_t N, int d, \
               int q, int ising, int32_t *restrict bond, int32_t *restrict count) { \
    memset(bond, 0, sizeof(int32_t) * 3 * REP_B); \
    memset(count, 0, sizeof(int32_t) * (size_t)(q * REP_B)); \
    for (int64_t i = 0; i < N; i++) { \
        const int8_t *restrict s = x + i * REP_B; \
        for (int ax = 0; ax < d; ax++) { \
            const int8_t *restrict y = x + (int64_t)fwd[i * d + ax] * REP_B; \
            int32_t *restrict b = bond + ax * REP_B; \
            if (ising) \
                for (int c = 0; c < REP_B; c++) b[c] += (int16_t)(s[c] * y[c]); \
            else \
                for (int c = 0; c < REP_B; c++) b[c] += s[c] == y[c]; \
        } \
        if (ising) { \
            int32_t *restrict up = count + REP_B; \
            for (int c = 0; c < REP_B; c++) up[c] += s[c] > 0; \
        } else if (q == 3) { \
            for (int c = 0; c < REP_B; c++) { \
                count[c] += s[c] == 0; \
                count[REP_B + c] += s[c] == 1; \
                count[2 * REP_B + c] += s[c] == 2; \
            } \
        } else { \
            for (int c = 0; c < REP_B; c++) count[s[c] * REP_B + c]++; \
        } \
    } \
}
REP_COUNTS(rep_counts_portable, static)
#undef REP_COUNTS
#if LAT_HAVE_AVX2
/* The same sums with byte accumulators (Ising bond s * y as sign(y, s)), widened to 32 bits
 * every 127 sites. */
LAT_AVX2_INLINE void rep_widen_add(int32_t *restrict dst, __m256i v8) {
    const __m128i lo = _mm256_castsi256_si128(v8), hi = _mm256_extracti128_si256(v8, 1);
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int j = 0; j < 4; j++) {
        __m256i *p = (__m256i *)(dst + 8 * j);
        _mm256_storeu_si256(p, _mm256_add_epi32(_mm256_loadu_si256(p), _mm256_cvtepi8_epi32(parts[j])));
    }
}

LAT_AVX2 static void rep_counts_avx2(const int8_t *restrict x, const int32_t *restrict fwd,
                                     int64_t N, int d, int q, int ising, int32_t *restrict bond,
                                     int32_t *restrict count) {
    memset(bond, 0, sizeof(int32_t) * 3 * REP_B);
    memset(count, 0, sizeof(int32_t) * (size_t)(q * REP_B));
    const int nv = ising ? 1 : q;
    for (int64_t i0 = 0; i0 < N; i0 += 127) {
        const int64_t i1 = i0 + 127 < N ? i0 + 127 : N;
        __m256i b8[3], c8[ISB_MAX_Q > 128 ? 128 : 8];
        for (int ax = 0; ax < 3; ax++) b8[ax] = _mm256_setzero_si256();
        if (nv <= 8) {
            for (int v = 0; v < 8; v++) c8[v] = _mm256_setzero_si256();
        }
        for (int64_t i = i0; i < i1; i++) {
            const __m256i sv = _mm256_loadu_si256((const __m256i *)(x + i * REP_B));
            for (int ax = 0; ax < d; ax++) {
                const __m256i yv = _mm256_loadu_si256((const __m256i *)(x + (int64_t)fwd[i * d + ax] * REP_B));
                b8[ax] = ising ? _mm256_add_epi8(b8[ax], _mm256_sign_epi8(yv, sv))
                               : _mm256_sub_epi8(b8[ax], _mm256_cmpeq_epi8(yv, sv));
            }
            if (ising) {
                c8[0] = _mm256_sub_epi8(c8[0], _mm256_cmpgt_epi8(sv, _mm256_setzero_si256()));
            } else if (nv <= 8) {
                for (int v = 0; v < nv; v++)
                    c8[v] = _mm256_sub_epi8(c8[v], _mm256_cmpeq_epi8(sv, _mm256_set1_epi8((char)v)));
            } else {
                for (int c = 0; c < REP_B; c++) count[x[i * REP_B + c] * REP_B + c]++;
            }
        }
        for (int ax = 0; ax < d; ax++) rep_widen_add(bond + ax * REP_B, b8[ax]);
        if (ising) {
            /* counts of up to 127 fit in a signed byte */
            rep_widen_add(count + REP_B, c8[0]);
        } else if (nv <= 8) {
            for (int v = 0; v < nv; v++) rep_widen_add(count + v * REP_B, c8[v]);
        }
    }
}
#endif

/* Record rec of the nc chains of a block (chains chain0.. of the call): energies, order
 * parameter and (when asked) the state. */
static void rep_record(const lat_plan *p, const rep_geo *g, const int8_t *x, int64_t nc,
                       const isb_run *a, int64_t chain0, int64_t rec, int32_t *bond,
                       int32_t *count, int avx2) {
    const int d = p->d, q = p->q;
    const int64_t N = g->N;
    const int ising = p->kind == LAT_ISING_METRO || p->kind == LAT_ISING_HB;
#if LAT_HAVE_AVX2
    if (avx2) rep_counts_avx2(x, g->fwd, N, d, q, ising, bond, count);
    else
#endif
    rep_counts_portable(x, g->fwd, N, d, q, ising, bond, count);
    (void)avx2;
    for (int64_t c = 0; c < nc; c++) {
        int64_t bd[3] = {0, 0, 0}, ct[ISB_MAX_Q];
        for (int ax = 0; ax < d; ax++) bd[ax] = bond[ax * REP_B + c];
        for (int v = 0; v < q; v++) ct[v] = count[v * REP_B + c];
        if (ising) ct[0] = N - ct[1];
        const isb_out o = isb_rec_chain(&a->rec, chain0 + c, 0);
        lat_finish_record(p, bd, ct, o.ec + rec * o.sj, o.ef + rec * o.sh, o.mg + rec * o.sm);
        if (o.so) {
            int8_t *dst = o.so + rec * o.sos;
            for (int64_t i = 0; i < N; i++) dst[i] = x[i * REP_B + c];
        }
    }
}

/* One thread's part of a call with the replica engine: chains [c0, c1) (by rank in the team),
 * in blocks of REP_B, through every segment of equal betas. Every thread of the team runs it
 * once (it contains the team's barriers); after a failure anywhere no state is written. */
static void rep_block(const lat_model *m, const isb_run *a, int *fail) {
    lat_plan plan;
    rep_geo geo;
    const int64_t nt = isb_team_size(), t = isb_team_rank();
    const int64_t c0 = a->n_chains * t / nt, c1 = a->n_chains * (t + 1) / nt, n = c1 - c0;
    const int64_t nblk = (n + REP_B - 1) / REP_B;
    const double *bjp = a->bjp, *bhp = a->bhp, *cb = m->chain_beta;
    double bj = bjp ? bjp[0] : a->beta_J, bh = bhp ? bhp[0] : a->beta_h;
    int8_t *x = NULL;
    uint64_t *w = NULL;
    int32_t *off = NULL, *nbo = NULL;
    int64_t *acc = NULL;
    uint32_t *tab = NULL, *rbuf = NULL;
    int8_t *x1 = NULL;
    uint64_t *rbuf1 = NULL;
    double *dist = NULL;
    int32_t *bond = NULL, *count = NULL;
    memset(&plan, 0, sizeof plan);
    memset(&geo, 0, sizeof geo);
    const int64_t N = a->n_sites, bs = (N + 1) * REP_B;
    int64_t tsize = 0, ncap = 1;  /* tables of tsize entries: room for ncap */
    void (*sweeps)(int8_t *, uint64_t *, const int32_t *, const int32_t *, int64_t, int, int,
                   int, int64_t, const uint32_t *, const int32_t *, int64_t *, uint32_t *,
                   int64_t, const lat_plan *, int) = rep_sweeps_portable;
#if LAT_HAVE_AVX2
    if (m->simd && lat_cpu_avx2())  /* simd = 2: AVX2 without AVX-512 (testing) */
        sweeps = m->simd != 2 && rep_cpu_avx512() ? rep_sweeps_avx512 : rep_sweeps_avx2;
#endif
    if (n > 0) {
        if (lat_plan_init(&plan, m->kind, m->d, m->shape, m->periodic, m->J, m->q, m->h_ising,
                          m->h_potts, bj, bh, m->simd, m->tables) != 0
            || rep_geo_init(&geo, &plan) != 0) {
            isb_flag_or(fail, LAT_FAIL_NOMEM);
        } else {
            const int d = m->d;
            tsize = rep_table_size(&plan);
            x = (int8_t *)malloc((size_t)(nblk * bs));
            w = (uint64_t *)calloc((size_t)(nblk * 32 * REP_B), sizeof(uint64_t));
            acc = (int64_t *)calloc((size_t)(nblk * REP_B), sizeof(int64_t));
            off = (int32_t *)calloc((size_t)(nblk * REP_B), sizeof(int32_t));
            nbo = (int32_t *)malloc(sizeof(int32_t) * (size_t)(N * 2 * d));
            tab = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)tsize);  /* grown on demand */
            rbuf = (uint32_t *)malloc(sizeof(uint32_t) * 16 * REP_B);
            x1 = (int8_t *)malloc((size_t)(N + 1));
            rbuf1 = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(8 * ((N + 15) / 16)));
            dist = (double *)malloc(sizeof(double) * (size_t)(2 * n));
            bond = (int32_t *)malloc(sizeof(int32_t) * 3 * REP_B);
            count = (int32_t *)malloc(sizeof(int32_t) * (size_t)(m->q * REP_B));
            if (!x || !w || !acc || !off || !nbo || !tab || !rbuf || !dist || !bond || !count
                || !x1 || !rbuf1) {
                isb_flag_or(fail, LAT_FAIL_NOMEM);
            } else {
                /* neighbours as byte offsets from the site, in sweep order */
                for (int64_t j = 0; j < N; j++) {
                    const int64_t i = geo.order[j];
                    for (int k = 0; k < 2 * d; k++)
                        nbo[j * 2 * d + k] = (int32_t)(((int64_t)geo.nb[i * 2 * d + k] - i) * REP_B);
                }
                /* load: padding chains get a valid state and a zero generator */
                const int8_t pad = plan.kind == LAT_ISING_METRO || plan.kind == LAT_ISING_HB ? 1 : 0;
                for (int64_t b = 0; b < nblk; b++) {
                    int8_t *xb = x + b * bs;
                    uint64_t *wb = w + b * 32 * REP_B;
                    for (int64_t c = 0; c < REP_B; c++) {
                        const int64_t ch = c0 + b * REP_B + c;
                        if (ch < c1) {
                            const int8_t *st = a->states + ch * N;
                            const uint64_t *rg = a->rng + ch * a->rng_stride;
                            for (int64_t i = 0; i < N; i++) xb[i * REP_B + c] = st[i];
                            for (int k = 0; k < 32; k++) wb[k * REP_B + c] = rg[k];
                        } else {
                            for (int64_t i = 0; i < N; i++) xb[i * REP_B + c] = pad;
                        }
                        xb[N * REP_B + c] = plan.ghost;
                    }
                }
            }
        }
    }
    isb_team_barrier();
    if (n > 0 && isb_flag_get(fail) == 0) {
        int64_t i0 = 0;
        while (i0 < a->n_records && isb_flag_get(fail) == 0) {
            const int64_t i1 = isb_segment(bjp, bhp, a->beta_J, a->beta_h, i0, a->n_records,
                                           &bj, &bh);
            /* one table per distinct pair of effective betas among the thread's chains */
            int64_t nd = 0;
            for (int64_t c = 0; c < n && isb_flag_get(fail) == 0; c++) {
                const double f = cb ? cb[c0 + c] : 1.0, ej = bj * f, eh = bh * f;
                int64_t k = 0;
                while (k < nd && !(dist[2 * k] == ej && dist[2 * k + 1] == eh)) k++;
                if (k == nd) {
                    if (nd == ncap) {  /* room for more tables (offsets are int32) */
                        const int64_t cap = 2 * ncap < n ? 2 * ncap : n;
                        uint32_t *t2 = (cap * tsize <= INT32_MAX)
                            ? (uint32_t *)realloc(tab, sizeof(uint32_t) * (size_t)(cap * tsize)) : NULL;
                        if (!t2) { isb_flag_or(fail, LAT_FAIL_NOMEM); break; }
                        tab = t2;
                        ncap = cap;
                    }
                    if (lat_plan_tables(&plan, ej, eh) != 0) { isb_flag_or(fail, LAT_FAIL_NOMEM); break; }
                    memcpy(tab + nd * tsize, plan.T32, sizeof(uint32_t) * (size_t)tsize);
                    dist[2 * nd] = ej;
                    dist[2 * nd + 1] = eh;
                    nd++;
                }
                off[c] = (int32_t)(k * tsize);
            }
            if (isb_flag_get(fail) != 0) break;
            for (int64_t b = 0; b < nblk; b++) {
                const int64_t nc = (c1 - c0 - b * REP_B) < REP_B ? (c1 - c0 - b * REP_B) : REP_B;
                for (int64_t i = i0; i < i1; i++) {
                    if (nc <= REP_NARROW)  /* few chains: no work on empty lanes, same bits */
                        rep_narrow_sweeps(x + b * bs, w + b * 32 * REP_B, &geo, &plan, tab,
                                          off + b * REP_B, acc + b * REP_B, nc, a->thin, x1,
                                          rbuf1, sweeps != rep_sweeps_portable);
                    else
                        sweeps(x + b * bs, w + b * 32 * REP_B, geo.order, nbo, N, plan.kind,
                               plan.d, plan.q, plan.ntup, tab, off + b * REP_B,
                               acc + b * REP_B, rbuf, a->thin, &plan, nd == 1);
                    rep_record(&plan, &geo, x + b * bs, nc, a, c0 + b * REP_B, i, bond, count,
                               sweeps != rep_sweeps_portable);
                }
            }
            i0 = i1;
        }
    }
    isb_team_barrier();
    if (n > 0 && x && w && acc && isb_flag_get(fail) == 0) {
        for (int64_t b = 0; b < nblk; b++) {
            const int8_t *xb = x + b * bs;
            const uint64_t *wb = w + b * 32 * REP_B;
            for (int64_t c = 0; c < REP_B; c++) {
                const int64_t ch = c0 + b * REP_B + c;
                if (ch >= c1) break;
                int8_t *st = a->states + ch * N;
                uint64_t *rg = a->rng + ch * a->rng_stride;
                for (int64_t i = 0; i < N; i++) st[i] = xb[i * REP_B + c];
                for (int k = 0; k < 32; k++) rg[k] = wb[k * REP_B + c];
                double *stats = a->stats + ch * a->stats_stride;
                stats[0] += (double)N * (double)a->thin * (double)a->n_records;
                stats[1] += (double)acc[b * REP_B + c];
            }
        }
    }
    free(x); free(w); free(acc); free(off); free(nbo); free(tab); free(rbuf); free(dist);
    free(bond); free(count); free(x1); free(rbuf1);
    rep_geo_free(&geo);
    lat_plan_free(&plan);
}

#endif
