/* A shared object that says when it is loaded, to show that a run loads
 * only the plugins it uses. Not a plugin: listing refuses it. */
#include <stdio.h>

__attribute__((constructor)) static void say_loaded(void) { fputs("noticed_on_load.so was loaded\n", stderr); }
