// The board page's script (bundled to web/dist/board.js): the board itself is in board/.
import "./board/main.js";
