// Callsight over ARI, with its AMI companion, on a real Asterisk 22 (the same scenarios as AMI).
import { describeAsterisk } from "./support/asterisk-scenarios.js";

describeAsterisk("ari");
