package io.wslfleet.buildworker;

/**
 * CRC-32 (the gzip polynomial) of concatenations, from the CRCs of the parts: CRC-32 is linear over GF(2), so
 * {@code crc(A || B)} is {@code crc(A)} multiplied by x^(8·|B|) modulo the polynomial, plus {@code crc(B)}. Used when a
 * customised archive ends in the input's own compressed bytes: the CRC of that tail follows from the input's trailer
 * without decompressing it.
 */
final class Crc32Math {

    /** The reflected CRC-32 polynomial. */
    private static final int POLY = 0xedb88320;
    /** x^(2^k) modulo the polynomial, k = 0..31 (reflected: bit 31 is x^0). */
    private static final int[] X_POW_2K = new int[32];

    static {
        int p = 1 << 30; // x^1
        for (int k = 0; k < 32; k++) {
            X_POW_2K[k] = p;
            p = multiply(p, p);
        }
    }

    private Crc32Math() {
    }

    /** a·b modulo the polynomial, both reflected. */
    static int multiply(int a, int b) {
        int product = 0;
        for (int m = 1 << 31; m != 0; m >>>= 1) {
            if ((a & m) != 0) {
                product ^= b;
            }
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
        return product;
    }

    /** x^(8·bytes) modulo the polynomial. */
    static int shift(long bytes) {
        int p = 1 << 31; // x^0
        long n = bytes;
        for (int k = 3; n != 0; n >>>= 1, k++) {
            if ((n & 1) != 0) {
                p = multiply(X_POW_2K[k & 31], p);
            }
        }
        return p;
    }

    /** crc(A || B) from crc(A), crc(B) and |B|. */
    static long combine(long crcA, long crcB, long lengthB) {
        return (multiply(shift(lengthB), (int) crcA) ^ (int) crcB) & 0xffffffffL;
    }

    /** crc(B) from crc(A || B), crc(A) and |B|. */
    static long suffix(long crcWhole, long crcA, long lengthB) {
        return (multiply(shift(lengthB), (int) crcA) ^ (int) crcWhole) & 0xffffffffL;
    }
}
