#include "util/num.h"

#include <stdint.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

size_t vg_num_digits(const char *s, size_t n, size_t i)
{
	size_t k = 0;
	while (i + k < n && is_digit(s[i + k]))
		k++;
	return k;
}

int vg_num_syntax(const char *s, size_t n, int *integral)
{
	size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
	size_t a = vg_num_digits(s, n, i), b = 0;
	i += a;
	*integral = 1;
	if (i < n && s[i] == '.') {
		b = vg_num_digits(s, n, i + 1);
		i += 1 + b;
		*integral = 0;
	}
	if (a + b == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		size_t e = vg_num_digits(s, n, j);
		if (e == 0)
			return 0;
		i = j + e;
		*integral = 0;
	}
	return i == n;
}

int vg_num_int64(const char *s, size_t n, int64_t *out)
{
	size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
	int neg = n > 0 && s[0] == '-';
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}
