/* The smallest useful program: exits with status 0 (a /bin/true for exec loops). */
int main(void)
{
	return 0;
}
