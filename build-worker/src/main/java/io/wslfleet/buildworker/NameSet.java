package io.wslfleet.buildworker;

/**
 * A set of names kept as 128-bit fingerprints (two independent 64-bit hashes) in open addressing: 16 bytes a name
 * at most twice over, so two million entry names fit in 64 MB where {@code HashSet<String>} would take several times
 * that. Two distinct names share a fingerprint with a probability of about 2^-128 per pair: a refusal for a
 * duplicate name is, in practice, certain.
 */
final class NameSet {

    private long[] first = new long[1024];
    private long[] second = new long[1024];
    private int size;

    /** Adds {@code name}; false if it was there already. */
    boolean add(String name) {
        long a = fnv(name);
        long b = mix(name);
        if (a == 0 && b == 0) {
            b = 1;
        }
        if ((size + 1) * 2L > first.length) {
            grow();
        }
        return insert(a, b);
    }

    boolean contains(String name) {
        long a = fnv(name);
        long b = mix(name);
        if (a == 0 && b == 0) {
            b = 1;
        }
        int mask = first.length - 1;
        for (int i = (int) (a ^ (a >>> 32)) & mask; ; i = (i + 1) & mask) {
            if (first[i] == 0 && second[i] == 0) {
                return false;
            }
            if (first[i] == a && second[i] == b) {
                return true;
            }
        }
    }

    int size() {
        return size;
    }

    private boolean insert(long a, long b) {
        int mask = first.length - 1;
        for (int i = (int) (a ^ (a >>> 32)) & mask; ; i = (i + 1) & mask) {
            if (first[i] == 0 && second[i] == 0) {
                first[i] = a;
                second[i] = b;
                size++;
                return true;
            }
            if (first[i] == a && second[i] == b) {
                return false;
            }
        }
    }

    private void grow() {
        long[] oldFirst = first;
        long[] oldSecond = second;
        first = new long[oldFirst.length * 2];
        second = new long[oldSecond.length * 2];
        size = 0;
        for (int i = 0; i < oldFirst.length; i++) {
            if (oldFirst[i] != 0 || oldSecond[i] != 0) {
                insert(oldFirst[i], oldSecond[i]);
            }
        }
    }

    private static long fnv(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static long mix(String s) {
        long h = 0x9E3779B97F4A7C15L ^ s.length();
        for (int i = 0; i < s.length(); i++) {
            h = (h + s.charAt(i)) * 0xC2B2AE3D27D4EB4FL;
            h ^= h >>> 29;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }
}
