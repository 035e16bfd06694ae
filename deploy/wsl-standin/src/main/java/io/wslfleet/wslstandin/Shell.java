package io.wslfleet.wslstandin;

import java.util.ArrayList;
import java.util.List;

/**
 * How a distro's shell splits the command line wsl.exe hands it after {@code --}: single quotes literal, double
 * quotes with backslash escapes for {@code $ ` " \}, an unquoted backslash escapes (and loses itself before) the
 * next character, unquoted {@code $NAME} expands to nothing (the stand-in's environment is empty).
 */
final class Shell {

    private Shell() {
    }

    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '\'') {
                int end = line.indexOf('\'', i + 1);
                end = end < 0 ? line.length() : end;
                word.append(line, i + 1, end);
                i = end;
                inWord = true;
            } else if (ch == '"') {
                inWord = true;
                for (i++; i < line.length() && line.charAt(i) != '"'; i++) {
                    char d = line.charAt(i);
                    if (d == '\\' && i + 1 < line.length() && "$`\"\\".indexOf(line.charAt(i + 1)) >= 0) {
                        word.append(line.charAt(++i));
                    } else {
                        word.append(d);
                    }
                }
            } else if (ch == '\\') {
                if (i + 1 < line.length()) {
                    word.append(line.charAt(++i));
                }
                inWord = true;
            } else if (ch == '$' && i + 1 < line.length() && (Character.isLetter(line.charAt(i + 1)) || line.charAt(i + 1) == '_')) {
                while (i + 1 < line.length() && (Character.isLetterOrDigit(line.charAt(i + 1)) || line.charAt(i + 1) == '_')) {
                    i++;
                }
                inWord = true;
            } else if (Character.isWhitespace(ch)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(ch);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
