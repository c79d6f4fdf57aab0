/* A shared object with no ingestd entry point. */
int not_a_plugin_answer(void) { return 42; }
