process.argv[2] = "restore";
require("../cache.js");
