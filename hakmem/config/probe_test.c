#include "hakmem/config/profile.h"
int main(void) { return HAK_PROFILE_NAME[0] ? 0 : 1; }
