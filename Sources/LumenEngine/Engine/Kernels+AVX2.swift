#if LUMEN_FUSED_SIMD && arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel

extension Kernels {
    /// Q8_0 rows times Q8_0 inputs with AVX2, as ggml's `vec_dot_q8_0_q8_0` does it: per block,
    /// byte products summed in pairs, then in eights, as floats scaled by both blocks' scales into
    /// eight running sums, totalled once at the end. Four inputs share each weight block's load.
    /// Every output adds in this same order, whatever the batch.
    static func multiplyQ8_0Rows(_ range: Range<Int>, weights quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
                                 inputs inputQuants: UnsafePointer<Int8>, inputScales: UnsafePointer<Float>, rows: Int, columns: Int,
                                 outputs: Int, into output: UnsafeMutablePointer<Float>) {
        let blocks = columns / Q8_0.blockValues
        let ones = _mm256_set1_epi16(1)
        @inline(__always) func load(_ pointer: UnsafePointer<Int8>) -> __m256i {
            _mm256_loadu_si256(UnsafeRawPointer(pointer).assumingMemoryBound(to: __m256i.self))
        }
        @inline(__always) func products(_ weight: __m256i, _ input: __m256i) -> __m256 {
            // |w| (unsigned) times x with w's sign: maddubs takes an unsigned and a signed operand.
            let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(weight, weight), _mm256_sign_epi8(input, weight))
            return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones))
        }
        @inline(__always) func total(_ sums: __m256) -> Float {
            var lanes = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
            withUnsafeMutableBytes(of: &lanes) { _mm256_storeu_ps($0.baseAddress!.assumingMemoryBound(to: Float.self), sums) }
            return ((lanes.0 + lanes.1) + (lanes.2 + lanes.3)) + ((lanes.4 + lanes.5) + (lanes.6 + lanes.7))
        }
        for r in range {
            let weightRow = quants + r * blocks * Q8_0.blockValues, weightScales = scales + r * blocks
            var t = 0
            while t + 4 <= rows {
                var s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps()
                for block in 0..<blocks {
                    let weight = load(weightRow + block * Q8_0.blockValues)
                    let x = inputQuants + t * columns + block * Q8_0.blockValues
                    let scale = weightScales[block], xs = inputScales + t * blocks + block
                    s0 = _mm256_fmadd_ps(_mm256_set1_ps(scale * xs[0]), products(weight, load(x)), s0)
                    s1 = _mm256_fmadd_ps(_mm256_set1_ps(scale * xs[blocks]), products(weight, load(x + columns)), s1)
                    s2 = _mm256_fmadd_ps(_mm256_set1_ps(scale * xs[2 * blocks]), products(weight, load(x + 2 * columns)), s2)
                    s3 = _mm256_fmadd_ps(_mm256_set1_ps(scale * xs[3 * blocks]), products(weight, load(x + 3 * columns)), s3)
                }
                output[t * outputs + r] = total(s0)
                output[(t + 1) * outputs + r] = total(s1)
                output[(t + 2) * outputs + r] = total(s2)
                output[(t + 3) * outputs + r] = total(s3)
                t += 4
            }
            while t < rows {
                var sums = _mm256_setzero_ps()
                for block in 0..<blocks {
                    let weight = load(weightRow + block * Q8_0.blockValues)
                    let x = inputQuants + t * columns + block * Q8_0.blockValues
                    sums = _mm256_fmadd_ps(_mm256_set1_ps(weightScales[block] * inputScales[t * blocks + block]), products(weight, load(x)), sums)
                }
                output[t * outputs + r] = total(sums)
                t += 1
            }
        }
    }
}
#endif
