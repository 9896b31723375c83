/* The median of a few measurements: what calibration keeps of its windows. */
#ifndef LIB_MEDIAN_H
#define LIB_MEDIAN_H

#include <stddef.h>
#include <stdint.h>

/* Sorts v[0..n) in place (insertion sort: n is small) and returns the
 * middle value (the upper one of the two for even n); 0 for n == 0. */
static inline uint64_t median_u64(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? v[n / 2] : 0;
}

#endif
