// Callsight over AMI on a real Asterisk 22 (the scenarios: support/asterisk-scenarios.ts).
import { describeAsterisk } from "./support/asterisk-scenarios.js";

describeAsterisk("ami");
